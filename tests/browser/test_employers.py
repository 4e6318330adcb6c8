"""An employer in a real browser: endorses someone new, passes on the link, the new candidate
sets a password and shares their profile, the employer checks numbers in bulk; every page
on the way passes axe without a serious or critical violation."""

from __future__ import annotations

from urllib.parse import urlsplit

from naas import db
from naas.auth.services import create_user
from naas.models import Organisation

from ..helpers import PASSWORD
from .conftest import sign_in

NEW_PASSWORD = "a long and new pass phrase"


def employer_and_admin(app):
    with app.app_context():
        org = Organisation(name="Browser Council")
        db.session.add(org)
        db.session.flush()
        create_user(
            db.session,
            email="emp@browser.test",
            name="Emp Loyer",
            roles=["employer"],
            password=PASSWORD,
            organisation=org,
        )
        create_user(
            db.session,
            email="admin@browser.test",
            name="Ad Min",
            roles=["admin"],
            password=PASSWORD,
        )
        db.session.commit()


def no_serious_violations(page, axe_runner):
    violations = [
        v
        for v in axe_runner.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == [], [(v["id"], [n["html"] for n in v["nodes"]]) for v in violations]


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_endorse_set_a_password_share_and_check_in_bulk(live_app, page, tmp_path, axe_runner):
    employer_and_admin(live_app.app)
    url = live_app.url
    sign_in(page, url, "emp@browser.test", PASSWORD)
    no_serious_violations(page, axe_runner)
    page.get_by_role("link", name="Endorse a member of staff").click()
    page.get_by_role("button", name="Endorse").click()  # empty: every field is reported
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    no_serious_violations(page, axe_runner)
    page.get_by_label("Full name").fill("Nia Evans")
    page.get_by_label("Email address").fill("nia@browser.test")
    page.get_by_label("Social Work England registration number").fill("sw 246810")
    page.get_by_label("Approved child and family practitioner").check()
    page.get_by_role("button", name="Endorse").click()
    link = page.get_by_label("Set-password link for nia@browser.test").input_value()
    assert link.startswith(
        "http://127.0.0.1/set-password/"
    )  # on NAAS_BASE_URL, which has no port here
    link = url + urlsplit(link).path
    no_serious_violations(page, axe_runner)

    page.get_by_role("link", name="Go to your staff").click()
    assert page.get_by_role("link", name="Nia Evans").is_visible()
    no_serious_violations(page, axe_runner)
    page.get_by_role("link", name="Nia Evans").click()
    no_serious_violations(page, axe_runner)
    sign_out(page)

    page.goto(link)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    no_serious_violations(page, axe_runner)
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url(f"{url}/login")
    sign_in(page, url, "nia@browser.test", NEW_PASSWORD)
    page.get_by_role("link", name="Change what your employer sees").click()
    page.get_by_label("Yes, share my profile").check()
    page.get_by_role("button", name="Save your choice").click()
    assert page.get_by_text("Your employer can now see your profile").is_visible()
    no_serious_violations(page, axe_runner)
    page.goto(link)
    assert page.get_by_role("heading", name="This link cannot be used").is_visible()
    no_serious_violations(page, axe_runner)
    page.goto(f"{url}/dashboard")
    sign_out(page)

    sign_in(page, url, "emp@browser.test", PASSWORD)
    page.goto(f"{url}/employer/check")
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("number\nSW246810\nnot a number\nNAAS-0000-0000-00000-0\n")
    page.get_by_label("CSV file").set_input_files(str(numbers))
    page.get_by_role("button", name="Check", exact=True).click()
    assert page.get_by_text("Line 3 (not a number)").is_visible()
    no_serious_violations(page, axe_runner)
    sign_out(page)

    sign_in(page, url, "admin@browser.test", PASSWORD)
    page.get_by_role("link", name="Organisations and employer accounts").click()
    no_serious_violations(page, axe_runner)
    page.get_by_role("link", name="Browser Council").click()
    no_serious_violations(page, axe_runner)
    page.goto(f"{url}/admin/outbox")
    assert page.get_by_text("nia@browser.test").first.is_visible()
    no_serious_violations(page, axe_runner)
