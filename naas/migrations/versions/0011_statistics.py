"""statistics_runs and item_review_notes: item analysis kept with when it was computed, and
notes that send an item version back to review

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "statistics_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.Integer(), nullable=True),
        sa.Column("sittings", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.ForeignKeyConstraint(["computed_by"], ["users.id"], name=op.f("fk_statistics_runs_computed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistics_runs")),
    )
    op.create_index(op.f("ix_statistics_runs_tier"), "statistics_runs", ["tier"], unique=False)
    op.create_table(
        "item_review_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_item_review_notes_created_by_users")),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"],
                                name=op.f("fk_item_review_notes_item_version_id_item_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_review_notes")),
    )
    op.create_index(op.f("ix_item_review_notes_item_version_id"), "item_review_notes", ["item_version_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_item_review_notes_item_version_id"), table_name="item_review_notes")
    op.drop_table("item_review_notes")
    op.drop_index(op.f("ix_statistics_runs_tier"), table_name="statistics_runs")
    op.drop_table("statistics_runs")
