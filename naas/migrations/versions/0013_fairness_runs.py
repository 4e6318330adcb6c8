"""fairness_runs: the fairness report per tier, kept with when it was computed

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "fairness_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.Integer(), nullable=True),
        sa.Column("sittings", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.ForeignKeyConstraint(["computed_by"], ["users.id"], name=op.f("fk_fairness_runs_computed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fairness_runs")),
    )
    op.create_index(op.f("ix_fairness_runs_tier"), "fairness_runs", ["tier"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_fairness_runs_tier"), table_name="fairness_runs")
    op.drop_table("fairness_runs")
