"""indexes for national-scale queries

Each index serves a hot path named in docs/queries.md, with its plan before and after.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # employer pages: sittings reached through the organisation's endorsements
    op.create_index("ix_sittings_endorsement_id", "sittings", ["endorsement_id"])
    # release state per tier, statistics per tier
    op.create_index("ix_sittings_tier", "sittings", ["tier"])
    # "take next" and queue counts: scripts waiting in a status, oldest first
    op.drop_index("ix_scripts_status", table_name="scripts")
    op.create_index("ix_scripts_status_queued_at", "scripts", ["status", "queued_at", "id"])
    # the admin list of revoked certificates, newest first
    op.create_index("ix_certificates_revoked_at", "certificates", ["revoked_at"])
    # one subject's audit history
    op.create_index("ix_audit_events_subject", "audit_events", ["subject_type", "subject_id", "id"])
    # each save: the response's newest history step, one index descent with or without statistics
    op.create_index(
        "ix_response_steps_response_id_id", "response_steps", ["response_id", "id"]
    )
    op.drop_index("ix_response_steps_response_id", table_name="response_steps")


def downgrade() -> None:
    op.create_index("ix_response_steps_response_id", "response_steps", ["response_id"])
    op.drop_index("ix_response_steps_response_id_id", table_name="response_steps")
    op.drop_index("ix_audit_events_subject", table_name="audit_events")
    op.drop_index("ix_certificates_revoked_at", table_name="certificates")
    op.drop_index("ix_scripts_status_queued_at", table_name="scripts")
    op.create_index("ix_scripts_status", "scripts", ["status"])
    op.drop_index("ix_sittings_tier", table_name="sittings")
    op.drop_index("ix_sittings_endorsement_id", table_name="sittings")
