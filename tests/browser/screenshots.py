"""Take screenshots of the main pages into docs/screenshots/.

    python -m tests.browser.screenshots

Builds a throwaway SQLite database with the bundled bank, a candidate who has sat and passed
a practitioner test (marked twice, released), a second candidate mid-test, assessors,
a moderator, an employer and an admin; serves the app on 127.0.0.1 and photographs each
role's main pages in Debian's Chromium.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine
from werkzeug.serving import make_server

from naas import create_app, db
from naas.auth.services import create_user
from naas.bank import check_bank
from naas.bank_store import store_bank
from naas.config import BUNDLED_BANK, PROJECT_ROOT
from naas.marking import services as marking
from naas.migrate import upgrade
from naas.models import Endorsement, ItemVersion, Organisation
from naas.sitting import services as sittings

from .conftest import ARGS, CHROMIUM

OUT = PROJECT_ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"


def sample_answer(item, rng: random.Random):
    """A plausible answer: mostly right single choices, keyed answers elsewhere."""
    if item.name == "single":
        return item.key if rng.random() < 0.75 else next(iter(item.options))
    if item.name == "multiple":
        return sorted(item.key)
    if item.name == "ranking":
        return list(item.key)
    return item.model_answer or "A written answer."


def build_world(app) -> dict:
    now = datetime.now(UTC)
    with app.app_context():
        s = db.session
        store_bank(
            s,
            check_bank(BUNDLED_BANK).bank,
            source="screenshots",
            actor_id=None,
            now=now - timedelta(days=3),
        )
        council = Organisation(name="Northfield Borough Council")
        trust = Organisation(name="Eastmere Assessment Trust")
        s.add_all([council, trust])
        s.flush()
        people = {
            "employer": create_user(
                s,
                email="employer@example.org",
                name="Gareth Hughes",
                roles=["employer"],
                password=PASSWORD,
                organisation=council,
            ),
            "candidate": create_user(
                s,
                email="amara@example.org",
                name="Amara Okafor",
                roles=["candidate"],
                password=PASSWORD,
                organisation=council,
                registration_number="SW104233",
            ),
            "sitting": create_user(
                s,
                email="tom@example.org",
                name="Tom Reid",
                roles=["candidate"],
                password=PASSWORD,
                organisation=council,
                registration_number="SW118802",
            ),
            "assessor": create_user(
                s,
                email="priya@example.org",
                name="Priya Raman",
                roles=["assessor"],
                password=PASSWORD,
                organisation=trust,
            ),
            "moderator": create_user(
                s,
                email="helen@example.org",
                name="Helen Adeyemi",
                roles=["assessor", "moderator"],
                password=PASSWORD,
                organisation=trust,
            ),
            "admin": create_user(
                s, email="admin@example.org", name="Sam Carter", roles=["admin"], password=PASSWORD
            ),
        }
        for who in ("candidate", "sitting"):
            s.add(
                Endorsement(
                    candidate_id=people[who].id,
                    organisation_id=council.id,
                    tier="practitioner",
                    endorsed_by=people["employer"].id,
                    created_at=now - timedelta(days=2),
                )
            )
        s.flush()
        endorsement = s.query(Endorsement).filter_by(candidate_id=people["candidate"].id).one()
        start = now - timedelta(days=1)
        sitting = sittings.start_sitting(s, people["candidate"], endorsement, start, seed=2026)
        form = sittings.load_form(s, sitting.form)
        rng = random.Random(3)
        for page in range(sitting.form.stage_count):
            for entry in form.page_items(page):
                answer = sample_answer(entry.item, rng)
                sittings.save_answer(s, sitting, entry, answer, 1, start, source="page")
            if page < sitting.form.stage_count - 1:
                sittings.move_on(s, sitting, page, sitting.form, start)
        sittings.submit(s, sitting, start + timedelta(minutes=95), by="candidate")
        s.commit()
        for marker, generous in ((people["assessor"], False), (people["moderator"], True)):
            while (mark := marking.take_next(s, marker, now)) is not None:
                rubric = marking.item_of(s, s.get(ItemVersion, mark.script.item_version_id)).rubric
                marks = [
                    c.marks - (0 if generous or n else 1) for n, c in enumerate(rubric)
                ]  # within tolerance
                marking.record_mark(
                    s, mark, marker, marks, "Marked against the rubric descriptors.", True, now
                )
        s.commit()
        marking.release(s, "practitioner", people["admin"].id, now)
        s.commit()
        other = s.query(Endorsement).filter_by(candidate_id=people["sitting"].id).one()
        in_progress = sittings.start_sitting(
            s, people["sitting"], other, now - timedelta(minutes=20), seed=7
        )
        s.commit()
        numbers = [c.number for c in _certificates(s, people["candidate"].id)]
        return {
            "result_sitting": sitting.id,
            "in_progress": in_progress.id,
            "certificate": numbers[0] if numbers else None,
        }


def _certificates(session, candidate_id):
    try:
        from naas.certificates.services import certificates_of
    except ImportError:
        return []
    return certificates_of(session, candidate_id)


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp())
    url = f"sqlite:///{workdir / 'screens.sqlite3'}"
    upgrade(create_engine(url))
    app = create_app(
        {
            "NAAS_ENV": "demo",
            "SECRET_KEY": "s" * 40,
            "NAAS_DATABASE_URL": url,
            "NAAS_LOGIN_LIMIT": "1000 per minute",
            "NAAS_LOGIN_FAILURE_LIMIT": "1000 per minute",
        }
    )
    ids = build_world(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["NAAS_BASE_URL"] = base
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def as_user(email: str | None):
            context = browser.new_context(viewport={"width": 1100, "height": 800})
            page = context.new_page()
            if email:
                page.goto(f"{base}/login")
                page.fill("#email", email)
                page.fill("#password", PASSWORD)
                page.click("main button[type=submit]")
            return page

        def shot(page, name: str, path: str | None = None) -> None:
            if path:
                page.goto(base + path)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            shots.append(name)

        public = as_user(None)
        shot(public, "01-home", "/")
        if "certificates.verify_form" in app.view_functions:
            shot(public, "02-verify", "/verify")
        candidate = as_user("tom@example.org")
        shot(candidate, "03-stage", f"/sittings/{ids['in_progress']}/stages/0")
        shot(candidate, "04-review", f"/sittings/{ids['in_progress']}/review")
        passed = as_user("amara@example.org")
        shot(passed, "05-candidate-dashboard", "/dashboard")
        shot(passed, "06-result", f"/sittings/{ids['result_sitting']}/result")
        assessor = as_user("priya@example.org")
        shot(assessor, "07-marking-queue", "/marking/")
        shot(assessor, "08-reliability", "/marking/reliability")
        employer = as_user("employer@example.org")
        shot(employer, "09-employer-dashboard", "/dashboard")
        if "employers.staff_list" in app.view_functions:
            shot(employer, "12-employer-staff", "/employer/staff")
        if ids["certificate"]:
            shot(public, "13-verify-certificate", f"/verify/{ids['certificate']}")
            pdf = passed.request.get(f"{base}/certificates/{ids['certificate']}.pdf")
            pdf_path = workdir / "certificate.pdf"
            pdf_path.write_bytes(pdf.body())
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "80",
                    "-singlefile",
                    str(pdf_path),
                    str(OUT / "14-certificate"),
                ],
                check=True,
            )
            shots.append("14-certificate")
        admin = as_user("admin@example.org")
        shot(admin, "10-admin-marking", "/admin/marking/")
        shot(admin, "11-admin-dashboard", "/dashboard")
        browser.close()
    server.shutdown()
    print("\n".join(f"docs/screenshots/{name}.png" for name in shots))


if __name__ == "__main__":
    main()
