"""The whole journey in a real browser, every role, with axe on every distinct page:
an employer endorses a new candidate; the candidate sets a password, signs in, sits a whole
test with the keyboard alone, leaves mid-stage and resumes, and submits; two assessors mark
and a moderator resolves a disagreement; an admin releases; the candidate downloads the
certificate; a member of the public verifies it by number; an admin revokes it and the
verification page says so."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe

from naas import db
from naas.auth.services import create_user
from naas.models import Organisation

from ..helpers import PASSWORD
from .conftest import sign_in

NEW_PASSWORD = "a long and new pass phrase"


class AxeChecks:
    """Runs axe once per distinct page (path without numbers) and collects serious problems."""

    def __init__(self):
        self.seen: set[str] = set()
        self.problems: list = []

    def __call__(self, page):
        key = re.sub(r"\d+", "N", urlsplit(page.url).path)
        if key in self.seen:
            return
        self.seen.add(key)
        for violation in Axe().run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                self.problems.append((key, violation["id"], [n["html"][:120] for n in violation["nodes"]][:3]))


def people(app):
    with app.app_context():
        council, trust = Organisation(name="Journey Council"), Organisation(name="Journey Marking Trust")
        db.session.add_all([council, trust])
        db.session.flush()
        create_user(db.session, email="emp@journey.test", name="Emma Ployer", roles=["employer"], password=PASSWORD,
                    organisation=council)
        for n in (1, 2):
            create_user(db.session, email=f"a{n}@journey.test", name=f"Assessor {n}", roles=["assessor"],
                        password=PASSWORD, organisation=trust)
        create_user(db.session, email="mod@journey.test", name="Mo Derator", roles=["assessor", "moderator"],
                    password=PASSWORD, organisation=trust)
        create_user(db.session, email="admin@journey.test", name="Ad Min", roles=["admin"], password=PASSWORD)
        db.session.commit()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def keys_of_sitting(app, email):
    """The candidate's form items and their keys, read from the server side (the test plays a
    candidate who knows their stuff: nothing of this reaches the browser)."""
    from sqlalchemy import select

    from naas.models import Sitting, User
    from naas.sitting import services

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        sitting = db.session.scalar(select(Sitting).where(Sitting.candidate_id == user.id))
        form = services.load_form(db.session, sitting.form)
        return {entry.form_item.id: entry.item for entry in form.items}


def answer_page_by_keyboard(page, items):
    """Answer every question on the page, right, using only the keyboard."""
    for question in page.locator(".question").all():
        kind = question.get_attribute("data-type")
        item = items[int(question.get_attribute("data-item"))]
        qid = question.get_attribute("data-item")
        if kind == "single":
            question.locator(f"#q{qid}-{item.key}").focus()
            page.keyboard.press("Space")
        elif kind == "multiple":
            for label in sorted(item.key):
                question.locator(f"#q{qid}-{label}").focus()
                page.keyboard.press("Space")
        elif kind == "ranking":
            for position, label in enumerate(item.key, start=1):
                question.locator(f"#q{qid}-{label}").focus()
                for _ in range(position):
                    page.keyboard.press("ArrowDown")
        else:
            question.locator("textarea").focus()
            page.keyboard.type("The children's safety comes first: I would see them today, then analyse the risks.")


def mark_everything(page, url, full: bool, axe):
    while True:
        page.goto(f"{url}/marking/")
        page.get_by_role("button", name="Mark the next script").click()
        if "/marking/marks/" not in page.url:
            return
        axe(page)
        for criterion in page.locator("fieldset.criterion").all():
            radios = criterion.locator("input[type=radio]")
            radios.nth(radios.count() - 1 if full else 0).check()
        page.get_by_label("Comment").fill("Marked against each descriptor.")
        page.get_by_role("button", name="Submit marks").click()


def test_the_whole_journey(live_app, page):
    people(live_app.app)
    url = live_app.url
    axe = AxeChecks()

    # an employer endorses someone new and passes on the link
    sign_in(page, url, "emp@journey.test", PASSWORD)
    axe(page)
    page.get_by_role("link", name="Endorse a member of staff").click()
    axe(page)
    page.get_by_label("Full name").fill("Nia Evans")
    page.get_by_label("Email address").fill("nia@journey.test")
    page.get_by_label("Social Work England registration number").fill("SW246810")
    page.get_by_label("Approved child and family practitioner").check()
    page.get_by_role("button", name="Endorse").click()
    axe(page)
    link = url + urlsplit(page.get_by_label("Set-password link for nia@journey.test").input_value()).path
    sign_out(page)

    # the candidate sets a password and signs in
    page.goto(link)
    axe(page)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    sign_in(page, url, "nia@journey.test", NEW_PASSWORD)
    axe(page)

    # ... and sits the whole test with the keyboard alone
    page.get_by_role("link", name=re.compile("Start the test")).focus()
    page.keyboard.press("Enter")
    axe(page)
    page.get_by_role("button", name="Start the test now").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/stages/0$"))
    axe(page)
    items = keys_of_sitting(live_app.app, "nia@journey.test")
    stage = 0
    while True:
        answer_page_by_keyboard(page, items)
        if stage == 1:  # leave mid-stage, come back, and find every answer still there
            page.get_by_role("button", name="Save this page").focus()
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.get_by_text("Your answers on this page are saved.").is_visible()
            page.goto(f"{url}/dashboard")
            page.get_by_role("link", name="Continue your test").click()
            page.wait_for_url(re.compile(r".*/stages/1$"))
            assert page.locator("input:checked").count() >= 1
        last = page.get_by_role("button", name="Save and review your answers")
        if last.count():
            last.focus()
            page.keyboard.press("Enter")
            break
        page.get_by_role("button", name="Save and continue to the next stage").focus()
        page.keyboard.press("Enter")
        stage += 1
        page.wait_for_url(re.compile(rf".*/stages/{stage}$"))
    page.wait_for_url(re.compile(r".*/review$"))
    axe(page)
    page.get_by_label(re.compile("I want to submit my test now")).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Submit my test").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/submitted$"))
    axe(page)
    sign_out(page)

    # two assessors mark: one generously, one harshly, so every script needs moderation
    for email, full in (("a1@journey.test", True), ("a2@journey.test", False)):
        sign_in(page, url, email, PASSWORD)
        mark_everything(page, url, full, axe)
        page.goto(f"{url}/marking/reliability")
        axe(page)
        sign_out(page)
    sign_in(page, url, "mod@journey.test", PASSWORD)
    while True:
        page.goto(f"{url}/marking/")
        page.get_by_role("button", name="Moderate the next script").click()
        if "/marking/marks/" not in page.url:
            break
        axe(page)
        assert page.get_by_role("heading", name="The two marks").is_visible()
        for criterion in page.locator("fieldset.criterion").all():
            radios = criterion.locator("input[type=radio]")
            radios.nth(radios.count() - 1).check()
        page.get_by_label("Reason for the final mark").fill("The analysis meets every descriptor at the top.")
        page.get_by_role("button", name="Submit marks").click()
    sign_out(page)

    # an admin releases
    sign_in(page, url, "admin@journey.test", PASSWORD)
    page.goto(f"{url}/admin/marking/")
    axe(page)
    page.get_by_role("button", name="Release 1 result(s)").first.click()
    assert page.get_by_text("Released 1 result(s) for practitioner").is_visible()
    sign_out(page)

    # the candidate sees the result and downloads the certificate
    sign_in(page, url, "nia@journey.test", NEW_PASSWORD)
    page.get_by_role("link", name="See your result").click()
    axe(page)
    assert page.locator(".result-outcome").inner_text() == "Passed"
    page.goto(f"{url}/dashboard")
    pdf_link = page.locator("a[href$='.pdf']").first
    href = pdf_link.get_attribute("href")
    number = re.search(r"/certificates/([^/]+)\.pdf", href).group(1)
    download = page.request.get(url + href)
    assert download.status == 200 and download.headers["content-type"].startswith("application/pdf")
    sign_out(page)

    # a member of the public checks it by number
    page.goto(f"{url}/verify")
    axe(page)
    page.get_by_label("Certificate number").fill(number)
    page.get_by_role("button", name="Check the certificate").click()
    axe(page)
    assert "Nia Evans" in page.content() and re.search(r"\bvalid\b", page.content(), re.I)

    # an admin revokes it, and the check says so at once
    sign_in(page, url, "admin@journey.test", PASSWORD)
    page.goto(f"{url}/admin/certificates/{number}")
    axe(page)
    page.get_by_label("Reason for revoking").fill("Issued in error after a data entry mistake at the employer.")
    page.get_by_role("button", name=re.compile("Revoke certificate")).click()
    sign_out(page)
    page.goto(f"{url}/verify/{number}")
    assert re.search(r"revoked", page.content(), re.I)

    assert axe.problems == []
