"""tier_versions: current_since, so that an earlier definition can become current again

Revision ID: 0009
Revises: 0006

Each distinct tier definition is stored once (unique per tier and content hash); loading a
definition that was stored before makes that version current again instead of failing on
the unique constraint. The current version was the newest row; it is now the one with the
latest current_since, which for every existing row is when it was created.
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tier_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_since", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE tier_versions SET current_since = created_at")
    with op.batch_alter_table("tier_versions", schema=None) as batch_op:
        batch_op.alter_column("current_since", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("tier_versions", schema=None) as batch_op:
        batch_op.drop_column("current_since")
