"""certificates: the tier's title on each certificate, so that a check reads one row

Revision ID: 0002
Revises: 0001

The certificates table had no rows before this revision (nothing issued certificates
before the certificates area existed), so the new NOT NULL column needs no default: on
SQLite the table is rebuilt with it, on PostgreSQL it is altered in place.
"""
from typing import Literal

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table('certificates', schema=None, recreate=recreate) as batch_op:
        batch_op.add_column(sa.Column('tier_title', sa.String(length=200), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('tier_title')
