"""audit sealing: rows written without a lock, sealed into the chain by one job

Records are now written with a MAC and no place in the chain; the sealer gives them one
(seal_seq) later (docs/audit.md). The records already there were chained in id order as
they were written: they are sealed here as they stand, in that order, keeping their hashes.
They have no MAC (the key is not within a migration's reach) and `naas audit verify` checks
them as legacy records, by the chain and the checkpoints alone.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("row_mac", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("mac_kid", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("seal_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch.create_unique_constraint(op.f("uq_audit_events_seal_seq"), ["seal_seq"])
    # the legacy chain, in the order it was written (both databases have window functions
    # and UPDATE ... FROM; SQLite since 3.33)
    op.execute(
        "UPDATE audit_events SET seal_seq = numbered.n, sealed_at = audit_events.at "
        "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events) AS numbered "
        "WHERE numbered.id = audit_events.id"
    )
    op.create_index(
        "ix_audit_events_unsealed",
        "audit_events",
        ["id"],
        postgresql_where=sa.text("seal_seq IS NULL"),
        sqlite_where=sa.text("seal_seq IS NULL"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seal_seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("seal_seq", name=op.f("uq_audit_checkpoints_seal_seq")),
    )


def downgrade() -> None:
    """Back to the chain written under a lock. Records sealed since the upgrade keep hashes
    that the old verification does not know how to check; records not yet sealed have none,
    and the old schema cannot hold them: seal them first (`naas audit seal`)."""
    unsealed = op.get_bind().scalar(sa.text("SELECT count(*) FROM audit_events WHERE hash IS NULL"))
    if unsealed:
        raise RuntimeError(
            f"{unsealed} audit record(s) are not sealed yet: run `naas audit seal`, then downgrade"
        )
    op.drop_table("audit_checkpoints")
    op.drop_index("ix_audit_events_unsealed", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("uq_audit_events_seal_seq"), type_="unique")
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.drop_column("sealed_at")
        batch.drop_column("seal_seq")
        batch.drop_column("mac_kid")
        batch.drop_column("row_mac")
