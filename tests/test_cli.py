"""The `naas` command: each bad input gets one clear line, a non-zero exit and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, func, select, text

from naas.certificates.signing import new_key_text
from naas.models import AuditEvent, Organisation, TierVersion, User

from .bank.builders import scenario, write_bank

SIGNING_KEY = new_key_text()  # the commands' key in these tests


@pytest.fixture
def naas(app_config, tmp_path):
    """Run `naas ...` as a user would, in a fresh process, against the test database."""
    env = {
        **os.environ,
        "NAAS_ENV": "production",
        "NAAS_SECRET_KEY": "test-secret-0123456789abcdefghijklmnop",
        # production needs it for every process: audit records are MACed with a key from it
        "NAAS_SIGNING_KEY": SIGNING_KEY,
        "NAAS_DATABASE_URL": app_config["NAAS_DATABASE_URL"],
        "NAAS_NEW_PASSWORD": "a long enough password",
    }

    def run(*args: str, **overrides: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "naas.cli", *args],
            capture_output=True,
            text=True,
            env={**env, **overrides},
            cwd=tmp_path,
            timeout=120,
        )

    return run


def count(url, model):
    engine = create_engine(url)
    with engine.connect() as connection:
        n = connection.execute(select(func.count()).select_from(model)).scalar()
    engine.dispose()
    return n


def test_a_command_that_writes_an_audit_record_needs_the_signing_key(naas, app_config):
    result = naas("org", "create", "Eastham Council", NAAS_SIGNING_KEY="")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: NAAS_SIGNING_KEY is not set, so no audit record")
    assert count(app_config["NAAS_DATABASE_URL"], Organisation) == 0


def test_org_and_user_create(naas, app_config):
    assert naas("org", "create", "Eastham Council").returncode == 0
    result = naas(
        "user",
        "create",
        "--email",
        "Boss@Eastham.gov.uk",
        "--name",
        "Jo Boss",
        "--role",
        "employer",
        "--org",
        "Eastham Council",
    )
    assert result.returncode == 0, result.stderr
    assert "boss@eastham.gov.uk (employer)" in result.stdout
    result = naas(
        "user",
        "create",
        "--email",
        "a@x.org",
        "--name",
        "Ann",
        "--role",
        "assessor",
        "--role",
        "moderator",
    )
    assert "(assessor, moderator)" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--role", "wizard"],
            "unknown role 'wizard'; roles are: candidate, employer, assessor, moderator, admin, "
            "standard_setter",
        ),
        (["--role", "employer"], "an employer account needs an organisation"),
        (["--role", "employer", "--org", "Nowhere"], "no organisation called 'Nowhere'"),
        (["--role", "candidate"], "needs a Social Work England registration number"),
        (
            ["--role", "candidate", "--registration", "12345"],
            "is not a Social Work England registration number",
        ),
    ],
)
def test_user_create_bad_input_is_one_clear_line_and_changes_nothing(
    naas, app_config, args, message
):
    result = naas("user", "create", "--email", "p@x.org", "--name", "Pat", *args)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {result.stderr.strip()[7:]}"]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert count(app_config["NAAS_DATABASE_URL"], User) == 0


def test_duplicate_email_is_refused(naas, app_config):
    assert (
        naas("user", "create", "--email", "p@x.org", "--name", "Pat", "--role", "admin").returncode
        == 0
    )
    result = naas("user", "create", "--email", "P@X.org", "--name", "Pat 2", "--role", "admin")
    assert result.returncode == 1
    assert "there is already an account with the email p@x.org" in result.stderr
    assert count(app_config["NAAS_DATABASE_URL"], User) == 1


def test_a_short_password_is_refused(naas, app_config):
    result = naas(
        "user",
        "create",
        "--email",
        "p@x.org",
        "--name",
        "Pat",
        "--role",
        "admin",
        NAAS_NEW_PASSWORD="short",
    )
    assert result.returncode == 1 and "at least 12 characters" in result.stderr


def test_duplicate_organisation_is_refused(naas, app_config):
    naas("org", "create", "Eastham Council")
    result = naas("org", "create", "Eastham Council")
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "Error: There is already an organisation called Eastham Council."
    )
    assert count(app_config["NAAS_DATABASE_URL"], Organisation) == 1


def test_an_unreachable_database_is_one_clear_line(naas):
    result = naas(
        "org",
        "create",
        "X",
        NAAS_DATABASE_URL="postgresql+psycopg://nobody:secretpw@127.0.0.1:1/none",
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: cannot reach the database postgresql+psycopg://nobody:***@127.0.0.1:1/none"
    )
    assert "secretpw" not in result.stderr and "Traceback" not in result.stderr


def test_serve_without_a_secret_key_refuses_with_a_clear_message(naas):
    result = naas("serve", NAAS_SECRET_KEY="")
    assert result.returncode == 1
    assert "NAAS_SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr


def test_bank_load_stores_a_checked_bank_and_refuses_an_unbumped_change(naas, app_config, tmp_path):
    root = write_bank(tmp_path / "bank")
    result = naas("bank", "load", str(root))
    assert result.returncode == 0, result.stderr
    assert "1 new scenario version(s), 4 new item version(s)" in result.stdout
    changed = scenario()
    changed["stages"][0]["items"][0]["stem"] = "What now?"
    write_bank(root, scenarios=[changed])
    result = naas("bank", "load", str(root))
    assert result.returncode == 1
    assert (
        "item 'p-one-1' changed but scenario 'p-one' is still version 1: bump its version"
        in result.stderr
    )
    assert "nothing was loaded" in result.stderr


def test_bank_load_of_a_malformed_bank_loads_nothing(naas, app_config, tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text("id: [unclosed\n")
    result = naas("bank", "load", str(root))
    assert result.returncode == 1 and "YAML syntax error" in result.stdout
    engine = create_engine(app_config["NAAS_DATABASE_URL"])
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM scenario_versions")).scalar() == 0
    engine.dispose()


def test_bank_check_prints_a_summary_per_tier_and_area(naas, tmp_path):
    result = naas("bank", "check", str(write_bank(tmp_path / "bank")))
    assert result.returncode == 0
    assert "practitioner: Approved child and family practitioner" in result.stdout
    assert "scenarios: 1 live; items: 4; marks: 10" in result.stdout
    assert "P1" in result.stdout and "P2" in result.stdout


def test_the_commands_are_also_reachable_through_flask(app_config, tmp_path):
    env = {
        **os.environ,
        "NAAS_ENV": "production",
        "NAAS_SECRET_KEY": "test-secret-0123456789abcdefghijklmnop",
        "NAAS_SIGNING_KEY": "6xZJnh2Dgt0Me1h0ebk4n+8eSpLdNeQu1sOJ2YG6k/E=",  # a test key, signs nothing
        "NAAS_DATABASE_URL": app_config["NAAS_DATABASE_URL"],
        "NAAS_ALLOW_SQLITE": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "naas",
            "bank",
            "check",
            str(write_bank(tmp_path / "bank")),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "passes the checks" in result.stdout


def test_db_upgrade_creates_a_fresh_sqlite_database(tmp_path):
    env = {
        **os.environ,
        "NAAS_ENV": "production",
        "NAAS_DATABASE_URL": f"sqlite:///{tmp_path}/new.sqlite3",
    }
    env.pop("NAAS_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "naas.cli", "db", "upgrade"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new.sqlite3").exists()


def scenario_versions(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        n = connection.execute(text("SELECT count(*) FROM scenario_versions")).scalar()
    engine.dispose()
    return n


@pytest.mark.parametrize(
    "file, before, after",
    [
        ("practitioner/p-one.yaml", "version: 1\n", "version: 100000000000000000000000\n"),
        ("tiers.yaml", "pass_mark_percent: 60\n", "pass_mark_percent: .nan\n"),
    ],
)
def test_bank_load_refuses_numbers_the_database_cannot_store(
    naas, app_config, tmp_path, file, before, after
):
    root = write_bank(tmp_path / "bank")
    path = root / file
    path.write_text(path.read_text().replace(before, after))
    result = naas("bank", "load", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{file}:" in result.stdout and "must be" in result.stdout
    assert scenario_versions(app_config["NAAS_DATABASE_URL"]) == 0


def test_bank_load_can_go_back_to_an_earlier_tier_definition(naas, app_config, tmp_path):
    root = write_bank(tmp_path / "bank")
    tiers = root / "tiers.yaml"
    for percent in (60, 65, 60):
        tiers.write_text(
            tiers.read_text()
            .replace("pass_mark_percent: 60", f"pass_mark_percent: {percent}")
            .replace("pass_mark_percent: 65", f"pass_mark_percent: {percent}")
        )
        result = naas("bank", "load", str(root))
        assert result.returncode == 0, result.stderr
    assert "tier definition back to one stored before: practitioner" in result.stdout
    assert count(app_config["NAAS_DATABASE_URL"], TierVersion) == 2


def test_bank_load_refuses_an_item_moved_into_another_scenario_by_name(naas, app_config, tmp_path):
    assert naas("bank", "load", str(write_bank(tmp_path / "one"))).returncode == 0
    moved, kept = scenario("p-two"), scenario("p-one", version=2)
    moved["stages"][0]["items"][0]["id"] = "p-one-1"
    kept["stages"][0]["items"][0]["id"] = "p-one-9"
    result = naas("bank", "load", str(write_bank(tmp_path / "two", scenarios=[kept, moved])))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "Error: item 'p-one-1' is already stored as version 1 of scenario 'p-one', so it cannot be version 1 of "
        "scenario 'p-two': give it a new id",
        "Error: nothing was loaded",
    ]
    assert scenario_versions(app_config["NAAS_DATABASE_URL"]) == 1


def test_any_database_error_during_bank_load_is_one_line_and_loads_nothing(
    runner, app_config, tmp_path, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    from naas import audit

    def refuse(*args, **kwargs):  # after the scenario and item rows were flushed
        raise IntegrityError(
            "INSERT INTO audit_events ...", {}, Exception("duplicate key value\nDETAIL: more")
        )

    monkeypatch.setattr(audit, "record", refuse)
    result = runner.invoke(args=["bank", "load", str(write_bank(tmp_path / "bank"))])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: the database refused the bank, and nothing was loaded: duplicate key value"
    ]
    assert scenario_versions(app_config["NAAS_DATABASE_URL"]) == 0


TEST_SIGNING_KEY = "6xZJnh2Dgt0Me1h0ebk4n+8eSpLdNeQu1sOJ2YG6k/E="  # a test key, signs nothing


@pytest.mark.parametrize(
    "url, message",
    [
        (
            "not a url",
            "Error: NAAS_DATABASE_URL is not a database URL such as postgresql+psycopg://user@host:5432/naas (Could not parse",
        ),
        (
            "nosuchdb://x/y",
            "Error: cannot set up the database (NAAS_DATABASE_URL): NoSuchModuleError",
        ),
    ],
)
def test_serve_with_a_bad_database_url_is_one_clear_line(naas, url, message):
    result = naas(
        "serve", "--workers", "1", NAAS_DATABASE_URL=url, NAAS_SIGNING_KEY=TEST_SIGNING_KEY
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message)


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "Error: cannot reach the database"),
        ("sqlite:///{tmp}/empty.sqlite3", "Error: the database"),  # there, but never migrated
    ],
)
def test_serve_refuses_a_database_it_cannot_use_before_starting_workers(
    naas, tmp_path, url, message
):
    result = naas(
        "serve",
        "--workers",
        "1",
        NAAS_DATABASE_URL=url.format(tmp=tmp_path),
        NAAS_SIGNING_KEY=TEST_SIGNING_KEY,
        NAAS_ALLOW_SQLITE="1",
    )
    assert (
        result.returncode == 1
        and "Traceback" not in result.stderr
        and "gunicorn" not in result.stderr.lower()
    )
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message)


def test_the_wsgi_app_without_a_secret_key_stops_with_one_clear_line(tmp_path):
    env = {
        **os.environ,
        "NAAS_ENV": "production",
        "NAAS_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
    }
    env.pop("NAAS_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import naas.wsgi"], capture_output=True, text=True, env=env
    )
    assert (
        result.returncode == 3
    )  # gunicorn's "worker failed to boot": it stops rather than retrying
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert (
        result.stderr.startswith("Error: NAAS_SECRET_KEY is not set")
        and "Traceback" not in result.stderr
    )


def test_a_worker_freezes_what_start_up_built_so_full_collections_skip_it(tmp_path):
    """naas/wsgi.py: without gc.freeze() a full collection walks the whole app, and about one
    certificate render in fifteen took twice as long (docs/performance.md)."""
    env = {
        **os.environ,
        "NAAS_ENV": "production",
        "NAAS_SECRET_KEY": "test-secret-0123456789abcdefghijklmnop",
        "NAAS_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "NAAS_SIGNING_KEY": TEST_SIGNING_KEY,
        "NAAS_ALLOW_SQLITE": "1",
    }
    script = "import gc; import naas.wsgi; print(gc.get_freeze_count(), naas.wsgi.app.name)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    frozen, name = result.stdout.split()
    assert (
        name == "naas.app" and int(frozen) > 10_000
    )  # the app, its routes, templates and libraries


def test_flask_run_on_the_wsgi_module_without_a_secret_key_stops_with_one_clear_line(tmp_path):
    env = {
        **os.environ,
        "NAAS_ENV": "production",
        "NAAS_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
    }
    env.pop("NAAS_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "naas.wsgi", "run", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Error: NAAS_SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr


def audit_records(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                AuditEvent.action, AuditEvent.actor_id, AuditEvent.subject_id, AuditEvent.data
            ).order_by(AuditEvent.id)
        ).all()
    engine.dispose()
    return rows


def test_org_create_tidies_names_as_the_admin_pages_do_so_near_duplicates_are_refused(
    naas, app_config
):
    assert (
        naas("org", "create", "  Eastham   Council ").stdout.strip().endswith(": Eastham Council")
    )
    result = naas("org", "create", "Eastham Council\t")
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        "Error: There is already an organisation called Eastham Council."
    ]
    assert count(app_config["NAAS_DATABASE_URL"], Organisation) == 1
    assert (
        naas(
            "user",
            "create",
            "--email",
            "b@e.gov.uk",
            "--name",
            "Bo",
            "--role",
            "employer",
            "--org",
            "Eastham  Council",
        ).returncode
        == 0
    )


def test_org_and_user_create_are_audited_as_done_from_the_command_line(naas, app_config):
    import getpass

    naas("org", "create", "Eastham Council", "--kind", "trust")
    naas(
        "user",
        "create",
        "--email",
        "Boss@Eastham.gov.uk",
        "--name",
        "Jo Boss",
        "--role",
        "employer",
        "--org",
        "Eastham Council",
    )
    (org, user) = audit_records(app_config["NAAS_DATABASE_URL"])
    assert org[:2] == ("organisation.create", None)
    assert org[3] == {
        "name": "Eastham Council",
        "kind": "trust",
        "via": "cli",
        "os_user": getpass.getuser(),
    }
    assert user[:2] == ("account.create", None)
    assert user[3] == {
        "roles": ["employer"],
        "organisation_id": int(org[2]),
        "via": "cli",
        "os_user": getpass.getuser(),
    }


def test_bank_load_is_audited_as_done_from_the_command_line(naas, app_config, tmp_path):
    import getpass

    naas("bank", "load", str(write_bank(tmp_path / "bank")))
    ((action, actor, _, data),) = audit_records(app_config["NAAS_DATABASE_URL"])
    assert (action, actor, data["via"], data["os_user"]) == (
        "bank.load",
        None,
        "cli",
        getpass.getuser(),
    )
