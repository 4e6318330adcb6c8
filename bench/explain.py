"""EXPLAIN ANALYZE of the hot queries, without and with the indexes of migration 0016.

Creates a throwaway PostgreSQL database, migrates it, fills the tables the hot paths read with
generated rows (INSERT ... SELECT generate_series; foreign keys are not checked while filling,
the rows only need the shape of national data), then for each index: drops it, plans and
times its query, creates it again, and plans and times the query again. The output is what
docs/queries.md quotes. Not the national-size builder (bench/scale.py): a quick look only.

    python bench/explain.py [--sittings 200000] [--keep]
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from naas.migrate import upgrade  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# session_replication_role = replica: no foreign-key checks while filling
FILL = """
SET session_replication_role = replica;
INSERT INTO organisations (id, name, kind, created_at)
  SELECT g, 'Organisation ' || g, 'local_authority', now() FROM generate_series(1, :orgs) g;
INSERT INTO users (id, email, name, active, created_at, session_version)
  SELECT g, 'person' || g || '@example.org', 'Person ' || g, true, now(), 1
  FROM generate_series(1, :people) g;
INSERT INTO endorsements (id, candidate_id, organisation_id, tier, endorsed_by, created_at)
  SELECT g, g, 1 + g % :orgs, (ARRAY['practitioner','supervisor','leader'])[1 + g % 3], 1,
         now() - (g % 700) * interval '1 day'
  FROM generate_series(1, :sittings) g;
INSERT INTO sittings (id, candidate_id, endorsement_id, tier, form_id, status, started_at,
                      deadline, extra_time_percent, current_stage, revision)
  SELECT g, g, g, (ARRAY['practitioner','supervisor','leader'])[1 + g % 3], g, 'submitted',
         now() - (g % 700) * interval '1 day', now() - (g % 700) * interval '1 day', 0, 0, 1
  FROM generate_series(1, :sittings) g;
INSERT INTO results (id, sitting_id, status, total, max_marks, area_scores, passed, computed_at,
                     released_at)
  SELECT g, g, 'final', '30', 40, '{}', g % 4 <> 0, now(),
         CASE WHEN g % 50 = 0 THEN NULL ELSE now() END
  FROM generate_series(1, :sittings) g;
INSERT INTO scripts (id, reference, kind, tier, item_version_id, sitting_id, status, queued_at)
  SELECT g, 'S-' || g, 'candidate', (ARRAY['practitioner','supervisor','leader'])[1 + g % 3], 1,
         1 + g / 2, CASE WHEN g % 100 = 0 THEN 'marking' ELSE 'final' END,
         now() - (g % 700) * interval '1 day'
  FROM generate_series(1, 2 * :sittings) g;
INSERT INTO scripts (id, reference, kind, tier, item_version_id, control_id, status, queued_at)
  SELECT 2 * :sittings + g, 'C-' || g, 'control', 'practitioner', 1, 1 + g % 20, 'final', now()
  FROM generate_series(1, :sittings / 20) g;
INSERT INTO certificates (id, number, candidate_id, result_id, tier, tier_title, holder_name,
                          registration_number, issued_on, expires_on, signed_record, signature,
                          created_at, revoked_at)
  SELECT g, 'N' || g, g, g, 'practitioner', 'Practitioner', 'Person ' || g, 'SW' || g,
         current_date, current_date + 1095, '{}', 'x', now(),
         CASE WHEN g % 100 = 0 THEN now() - g * interval '1 minute' END
  FROM generate_series(1, :sittings / 2) g;
INSERT INTO audit_events (id, at, action, subject_type, subject_id, data, prev_hash, hash)
  SELECT g, now(), 'marking.allocate', 'script', 'S-' || (1 + g % (2 * :sittings)), '{}',
         md5(g::text) || md5((g + 1)::text), md5(g::text) || md5(g::text)
  FROM generate_series(1, 3 * :sittings) g;
"""

# (index, how to make it, the hot path, its query)
CASES = [
    (
        "ix_sittings_endorsement_id",
        "CREATE INDEX ix_sittings_endorsement_id ON sittings (endorsement_id)",
        "employer staff list, CSV, dashboard: the latest sitting of each endorsement",
        "SELECT sittings.* FROM sittings WHERE sittings.endorsement_id IN (SELECT id FROM endorsements"
        "   WHERE organisation_id = 7 AND withdrawn_at IS NULL)"
        " ORDER BY sittings.started_at, sittings.id",
    ),
    (
        "ix_scripts_status_queued_at",
        "CREATE INDEX ix_scripts_status_queued_at ON scripts (status, queued_at, id)",
        "take next: the oldest script waiting for marking, skipping those being taken",
        "SELECT scripts.id FROM scripts WHERE scripts.kind = 'candidate'"
        " AND scripts.status = 'marking'"
        " AND (scripts.held_by IS NULL OR scripts.held_since < now() - interval '4 hours')"
        " AND (scripts.candidate_id IS NULL OR scripts.candidate_id != 3)"
        " AND NOT EXISTS (SELECT 1 FROM marks WHERE marks.script_id = scripts.id"
        "   AND marks.assessor_id = 3 AND marks.status != 'lapsed')"
        " ORDER BY scripts.queued_at, scripts.id LIMIT 1 FOR UPDATE OF scripts SKIP LOCKED",
    ),
    (
        "ix_sittings_tier",
        "CREATE INDEX ix_sittings_tier ON sittings (tier)",
        "admin marking overview (release page): a tier's results not yet released",
        "SELECT count(*) FROM results JOIN sittings ON sittings.id = results.sitting_id"
        " WHERE sittings.tier = 'leader' AND results.released_at IS NULL"
        " AND results.status = 'final'",
    ),
    (
        "ix_certificates_revoked_at",
        "CREATE INDEX ix_certificates_revoked_at ON certificates (revoked_at)",
        "admin certificates list: revoked, newest first, one page",
        "SELECT certificates.* FROM certificates WHERE certificates.revoked_at IS NOT NULL"
        " ORDER BY certificates.revoked_at DESC, certificates.id DESC LIMIT 21",
    ),
    (
        "ix_audit_events_subject",
        "CREATE INDEX ix_audit_events_subject ON audit_events (subject_type, subject_id, id)",
        "one subject's audit history (a script's allocations, marks, finalisation)",
        "SELECT * FROM audit_events WHERE subject_type = 'script' AND subject_id = 'S-4242'"
        " ORDER BY id",
    ),
]

# indexes that 0016 replaced: present in the plan "without"
REPLACED = {
    "ix_scripts_status_queued_at": (
        "CREATE INDEX ix_scripts_status ON scripts (status)",
        "DROP INDEX ix_scripts_status",
    )
}

CONTROLS = """
INSERT INTO control_scripts (id, item_version_id, text, agreed_marks, agreed_total, created_at,
                             active)
  SELECT g, 1, 'control ' || g, '[1]', '1', now(), true FROM generate_series(1, 20) g;
INSERT INTO marks (id, script_id, assessor_id, purpose, slot, status, allocated_at)
  SELECT g, g, 2 + g % 40, 'first', 1, 'submitted', now() FROM generate_series(1, :sittings) g;
"""


def explain(connection, query: str) -> tuple[str, float]:
    rows = connection.execute(text("EXPLAIN (ANALYZE, BUFFERS OFF) " + query)).scalars().all()
    plan = "\n".join(rows)
    took = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
    return plan, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sittings", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    name = f"naas_explain_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade(engine)
        numbers = {"orgs": 150, "people": args.sittings, "sittings": args.sittings}
        with engine.begin() as connection:
            for sql in (FILL + CONTROLS).split(";\n"):
                if sql.strip():
                    connection.execute(text(sql), numbers)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            print(f"# {args.sittings:,} sittings, {2 * args.sittings:,} scripts, database {name}\n")
            for index, create, path, query in CASES:
                connection.execute(text(f"DROP INDEX {index}"))
                if index in REPLACED:
                    connection.execute(text(REPLACED[index][0]))
                connection.execute(text("ANALYZE"))
                explain(connection, query)  # a first run warms the cache, as for the one after
                before, slow = explain(connection, query)
                if index in REPLACED:
                    connection.execute(text(REPLACED[index][1]))
                connection.execute(text(create))
                connection.execute(text("ANALYZE"))
                explain(connection, query)
                after, fast = explain(connection, query)
                print(f"## {index}: {path}\n\n{query}\n")
                print(f"### without the index: {slow:.3f} ms\n{before}\n")
                print(f"### with the index: {fast:.3f} ms\n{after}\n")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
