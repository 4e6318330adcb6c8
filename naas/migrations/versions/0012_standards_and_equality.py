"""standard setting (exercises, judges, ratings, item standards) and equality monitoring

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standard_exercises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round2_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("hofstee_min_cut", sa.Float(), nullable=True),
        sa.Column("hofstee_max_cut", sa.Float(), nullable=True),
        sa.Column("hofstee_min_fail", sa.Float(), nullable=True),
        sa.Column("hofstee_max_fail", sa.Float(), nullable=True),
        sa.Column("released_decision", sa.String(length=16), nullable=True),
        sa.Column("released_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"], name=op.f("fk_standard_exercises_approved_by_users")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_standard_exercises_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_exercises")),
    )
    op.create_index(op.f("ix_standard_exercises_tier"), "standard_exercises", ["tier"], unique=False)
    op.create_table(
        "standard_judges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["standard_exercises.id"],
                                name=op.f("fk_standard_judges_exercise_id_standard_exercises")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_standard_judges_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_judges")),
        sa.UniqueConstraint("exercise_id", "user_id", name=op.f("uq_standard_judges_exercise_id_user_id")),
    )
    op.create_index(op.f("ix_standard_judges_exercise_id"), "standard_judges", ["exercise_id"], unique=False)
    op.create_table(
        "standard_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=64), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["standard_exercises.id"],
                                name=op.f("fk_standard_ratings_exercise_id_standard_exercises")),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"],
                                name=op.f("fk_standard_ratings_item_version_id_item_versions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_standard_ratings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_ratings")),
        sa.UniqueConstraint("exercise_id", "user_id", "item_version_id", "round",
                            name=op.f("uq_standard_ratings_exercise_id_user_id_item_version_id_round")),
    )
    op.create_index(op.f("ix_standard_ratings_exercise_id"), "standard_ratings", ["exercise_id"], unique=False)
    op.create_table(
        "item_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("standard", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["standard_exercises.id"],
                                name=op.f("fk_item_standards_exercise_id_standard_exercises")),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"],
                                name=op.f("fk_item_standards_item_version_id_item_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_standards")),
        sa.UniqueConstraint("exercise_id", "item_version_id", name=op.f("uq_item_standards_exercise_id_item_version_id")),
    )
    op.create_index(op.f("ix_item_standards_item_version_id"), "item_standards", ["item_version_id"], unique=False)
    op.create_table(
        "equality_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("ethnic_group", sa.String(length=64), nullable=True),
        sa.Column("sex", sa.String(length=32), nullable=True),
        sa.Column("age_band", sa.String(length=16), nullable=True),
        sa.Column("disability", sa.String(length=32), nullable=True),
        sa.Column("years_qualified", sa.String(length=16), nullable=True),
        sa.Column("practice_setting", sa.String(length=64), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["candidate_id"], ["users.id"], name=op.f("fk_equality_responses_candidate_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equality_responses")),
        sa.UniqueConstraint("candidate_id", name=op.f("uq_equality_responses_candidate_id")),
    )


def downgrade() -> None:
    op.drop_table("equality_responses")
    op.drop_index(op.f("ix_item_standards_item_version_id"), table_name="item_standards")
    op.drop_table("item_standards")
    op.drop_index(op.f("ix_standard_ratings_exercise_id"), table_name="standard_ratings")
    op.drop_table("standard_ratings")
    op.drop_index(op.f("ix_standard_judges_exercise_id"), table_name="standard_judges")
    op.drop_table("standard_judges")
    op.drop_index(op.f("ix_standard_exercises_tier"), table_name="standard_exercises")
    op.drop_table("standard_exercises")
