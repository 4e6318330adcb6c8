"""The whole journey in a real browser, every role, with axe on every distinct page:
an employer endorses a new candidate; the candidate sets a password, signs in, sits a whole
test with the keyboard alone, leaves mid-stage and resumes, and submits; two assessors mark
and a moderator resolves a disagreement; an admin releases; the candidate downloads the
certificate; a member of the public verifies it by number; an admin revokes it and the
verification page says so."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from naas import db
from naas.auth.services import create_user
from naas.models import Organisation

from ..helpers import PASSWORD
from .conftest import sign_in, wait_until_saved

NEW_PASSWORD = "a long and new pass phrase"


class AxeChecks:
    """Runs axe once per distinct page, and collects serious or critical problems. A page is
    told apart by who is looking at it, its path with ids taken out, and its main heading, so
    each role's dashboard, the marking and moderation views and each kind of result are all checked."""

    def __init__(self, axe):
        self.axe = axe
        self.who = "anonymous"
        self.seen: set[tuple[str, str, str]] = set()
        self.problems: list = []

    def __call__(self, page):
        heading = page.locator("h1").first.inner_text() if page.locator("h1").count() else ""
        key = (self.who, re.sub(r"\d+", "N", urlsplit(page.url).path), re.sub(r"\d+", "N", heading))
        if key in self.seen:
            return
        self.seen.add(key)
        for violation in self.axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                self.problems.append(
                    (key, violation["id"], [n["html"][:120] for n in violation["nodes"]][:3])
                )


def people(app):
    with app.app_context():
        council, trust = (
            Organisation(name="Journey Council"),
            Organisation(name="Journey Marking Trust"),
        )
        db.session.add_all([council, trust])
        db.session.flush()
        create_user(
            db.session,
            email="emp@journey.test",
            name="Emma Ployer",
            roles=["employer"],
            password=PASSWORD,
            organisation=council,
        )
        for n in (1, 2):
            create_user(
                db.session,
                email=f"a{n}@journey.test",
                name=f"Assessor {n}",
                roles=["assessor"],
                password=PASSWORD,
                organisation=trust,
            )
        create_user(
            db.session,
            email="mod@journey.test",
            name="Mo Derator",
            roles=["assessor", "moderator"],
            password=PASSWORD,
            organisation=trust,
        )
        create_user(
            db.session,
            email="admin@journey.test",
            name="Ad Min",
            roles=["admin"],
            password=PASSWORD,
        )
        db.session.commit()


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


def tab_to(page, target, limit=400):
    """Press Tab until `target` has the focus: the control can be reached with the keyboard alone."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def press(page, target, key="Enter"):
    tab_to(page, target)
    page.keyboard.press(key)


def answer_page_by_keyboard(page, items):
    """Answer every question on the page, right, reaching each control with Tab and choosing with
    the arrow keys, space and typing, as a keyboard user does."""
    for question in page.locator(".question").all():
        kind = question.get_attribute("data-type")
        qid = question.get_attribute("data-item")
        item = items[int(qid)]
        if kind == "single":
            radios = question.locator("input[type=radio]")
            labels = [radios.nth(n).get_attribute("value") for n in range(radios.count())]
            tab_to(page, radios.first)  # Tab enters a radio group at its first option
            steps = labels.index(item.key)
            for _ in range(steps):
                page.keyboard.press("ArrowDown")  # moving selects
            if steps == 0:
                page.keyboard.press("Space")
        elif kind == "multiple":
            for label in item.key:
                press(page, question.locator(f"#q{qid}-{label}"), "Space")
        elif kind == "ranking":
            for position, label in enumerate(item.key, start=1):
                tab_to(page, question.locator(f"#q{qid}-{label}"))
                for _ in range(position):
                    page.keyboard.press("ArrowDown")
        else:
            tab_to(page, question.locator("textarea"))
            page.keyboard.type(
                "The children's safety comes first: I would see them today, then analyse the risks."
            )


def answers_on_page(page):
    """What the page shows as answered: checked choices, ranks and written text."""
    return page.locator("#stage-form").evaluate("""form => ({
        checked: Array.from(form.querySelectorAll("input:checked")).map(input => input.id),
        ranks: Array.from(form.querySelectorAll("select")).map(select => [select.id, select.value]),
        written: Array.from(form.querySelectorAll("textarea")).map(text => [text.id, text.value]),
    })""")


def wait_until_typing_is_saved(page, expect):
    """A written answer is saved 1.5 s after the last key; then nothing may be on its way."""
    page.wait_for_timeout(1700)
    wait_until_saved(page, expect)


def mark_everything(page, url, full: bool, axe):
    while True:
        page.goto(f"{url}/marking/")
        axe(page)
        page.get_by_role("button", name="Mark the next script").click()
        if "/marking/marks/" not in page.url:
            return
        axe(page)
        for criterion in page.locator("fieldset.criterion").all():
            radios = criterion.locator("input[type=radio]")
            radios.nth(radios.count() - 1 if full else 0).check()
        page.get_by_label("Comment").fill("Marked against each descriptor.")
        page.get_by_role("button", name="Submit marks").click()


def signed_in(page, url, email, password, axe):
    axe.who = email
    sign_in(page, url, email, password)
    axe(page)  # every role's dashboard


def signed_out(page, axe):
    page.get_by_role("button", name="Sign out").click()
    axe.who = "anonymous"


def test_the_whole_journey(live_app, page, axe_runner, expect):
    people(live_app.app)
    url = live_app.url
    axe = AxeChecks(axe_runner)
    page.goto(f"{url}/")
    axe(page)
    page.goto(f"{url}/login")
    axe(page)

    # an employer endorses someone new and passes on the link
    signed_in(page, url, "emp@journey.test", PASSWORD, axe)
    page.get_by_role("link", name="Endorse a member of staff").click()
    axe(page)
    page.get_by_label("Full name").fill("Nia Evans")
    page.get_by_label("Email address").fill("nia@journey.test")
    page.get_by_label("Social Work England registration number").fill("SW246810")
    page.get_by_label("Approved child and family practitioner").check()
    page.get_by_role("button", name="Endorse").click()
    axe(page)
    link = (
        url
        + urlsplit(page.get_by_label("Set-password link for nia@journey.test").input_value()).path
    )
    signed_out(page, axe)

    # the candidate sets a password and signs in, with the keyboard alone from here on
    page.goto(link)
    axe(page)
    press(page, page.get_by_label("New password"), "End")
    page.keyboard.type(NEW_PASSWORD)
    press(page, page.get_by_label("Type the password again"), "End")
    page.keyboard.type(NEW_PASSWORD)
    with page.expect_navigation():  # let the form's own navigation finish before going on
        press(page, page.get_by_role("button", name="Set password"))
    page.goto(f"{url}/login")
    axe.who = "nia@journey.test"
    press(page, page.get_by_label("Email address"), "End")
    page.keyboard.type("nia@journey.test")
    press(page, page.get_by_label("Password"), "End")
    page.keyboard.type(NEW_PASSWORD)
    press(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{url}/dashboard")
    axe(page)

    # ... and sits the whole test with the keyboard alone
    press(page, page.get_by_role("link", name=re.compile("Start the test")))
    page.wait_for_url(re.compile(r".*/sittings/start/\d+$"))
    axe(page)
    press(page, page.get_by_role("button", name="Start the test now"))
    page.wait_for_url(re.compile(r".*/stages/0$"))
    items = keys_of_sitting(live_app.app, "nia@journey.test")
    stage = 0
    while True:
        axe(page)  # every stage: the kinds of question differ from page to page
        answer_page_by_keyboard(page, items)
        if stage == 1:
            # leave mid-stage without pressing any button, come back, and find every answer there
            wait_until_typing_is_saved(page, expect)
            shown = answers_on_page(page)
            assert shown["checked"] or shown["ranks"] or shown["written"]
            page.goto(f"{url}/dashboard")
            press(page, page.get_by_role("link", name="Continue your test"))
            page.wait_for_url(re.compile(r".*/stages/1$"))
            assert answers_on_page(page) == shown
        last = page.get_by_role("button", name="Save and review your answers")
        if last.count():
            press(page, last)
            break
        press(page, page.get_by_role("button", name="Save and continue to the next stage"))
        stage += 1
        page.wait_for_url(re.compile(rf".*/stages/{stage}$"))
    page.wait_for_url(re.compile(r".*/review$"))
    axe(page)
    press(page, page.get_by_label(re.compile("I want to submit my test now")), "Space")
    press(page, page.get_by_role("button", name="Submit my test"))
    page.wait_for_url(re.compile(r".*/submitted$"))
    axe(page)
    signed_out(page, axe)

    # two assessors mark: one generously, one harshly, so every script needs moderation
    for email, full in (("a1@journey.test", True), ("a2@journey.test", False)):
        signed_in(page, url, email, PASSWORD, axe)
        mark_everything(page, url, full, axe)
        page.goto(f"{url}/marking/reliability")
        axe(page)
        signed_out(page, axe)
    signed_in(page, url, "mod@journey.test", PASSWORD, axe)
    moderated = 0
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
        page.get_by_label("Reason for the final mark").fill(
            "The analysis meets every descriptor at the top."
        )
        page.get_by_role("button", name="Submit marks").click()
        moderated += 1
    assert moderated == sum(1 for item in items.values() if item.name == "free_text")
    signed_out(page, axe)

    # an admin releases
    signed_in(page, url, "admin@journey.test", PASSWORD, axe)
    page.goto(f"{url}/admin/marking/")
    axe(page)
    page.get_by_role("button", name="Release 1 result(s)").first.click()
    expect(page.get_by_text("Released 1 result(s) for practitioner")).to_be_visible()
    signed_out(page, axe)

    # the candidate sees the result and downloads the certificate
    signed_in(
        page, url, "nia@journey.test", NEW_PASSWORD, axe
    )  # the dashboard with a certificate on it
    page.get_by_role("link", name="See your result").click()
    axe(page)
    assert page.locator(".result-outcome").inner_text() == "Passed"
    page.goto(f"{url}/dashboard")
    href = page.locator("a[href$='.pdf']").first.get_attribute("href")
    number = re.search(r"/certificates/([^/]+)\.pdf", href).group(1)
    download = page.request.get(url + href)
    assert download.status == 200 and download.headers["content-type"].startswith("application/pdf")
    assert download.body().startswith(b"%PDF")
    signed_out(page, axe)

    # a member of the public checks it by number
    page.goto(f"{url}/verify")
    axe(page)
    page.get_by_label("Certificate number").fill(number)
    page.get_by_role("button", name="Check the certificate").click()
    axe(page)
    assert page.locator(".cert-status-title").inner_text() == "Valid"
    expect(page.get_by_text("Nia Evans")).to_be_visible()

    # an admin revokes it, and the check says so at once
    signed_in(page, url, "admin@journey.test", PASSWORD, axe)
    page.goto(f"{url}/admin/certificates/{number}")
    axe(page)
    page.get_by_label("Reason for revoking").fill(
        "Issued in error after a data entry mistake at the employer."
    )
    page.get_by_role("button", name=re.compile("Revoke certificate")).click()
    expect(page.get_by_text(f"Certificate {number} is revoked.")).to_be_visible()
    signed_out(page, axe)
    page.goto(f"{url}/verify/{number}")
    axe(page)
    assert page.locator(".cert-status-title").inner_text() == "Revoked"
    expect(
        page.get_by_text("Issued in error after a data entry mistake at the employer.")
    ).to_be_visible()

    assert axe.problems == []
