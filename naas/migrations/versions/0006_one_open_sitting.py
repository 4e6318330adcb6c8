"""sittings: one open sitting per candidate, as a unique partial index

Revision ID: 0006
Revises: 0004

Two starts at the same moment (a double click) both passed the application's check and
inserted; the index makes the second insert fail. A database that already holds two open
sittings of one candidate cannot take the index: submit the older one first.
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'in_progress'")


def upgrade() -> None:
    op.create_index("uq_sittings_one_open_per_candidate", "sittings", ["candidate_id"], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index("uq_sittings_one_open_per_candidate", table_name="sittings")
