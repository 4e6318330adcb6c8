"""results: the cut score each form needed and why (the contract of December 2026)

Revision ID: 0010
Revises: 0009

A pass is decided against the form's cut score: the sum of an approved standard's ratings of
the form's item versions, or the tier's pass mark. The result keeps the cut it was decided
against and its basis, so that a later standard cannot change a decision silently. Results
decided before this revision were decided against the pass mark; their cut is left empty
(the pass mark of the tier version the form pinned says what it was).
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cut_score", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("cut_basis", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_column("cut_basis")
        batch_op.drop_column("cut_score")
