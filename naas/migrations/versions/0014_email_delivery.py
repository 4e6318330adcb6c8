"""email delivery: message state, attempts and failures

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), server_default="message", nullable=False))
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=16), server_default="pending", nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("provider_reference", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_user_id_users"), "users", ["user_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_messages_dedupe_key"), ["dedupe_key"])
        batch_op.create_index(batch_op.f("ix_outbox_messages_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_outbox_messages_state_due", ["state", "next_attempt_at"], unique=False)
    # Messages written before delivery existed were passed on by hand from the outbox page:
    # they must not go out now, days late, so they are kept as cancelled, with the reason.
    op.execute(
        "UPDATE outbox_messages SET state = 'cancelled', "
        "last_error = 'Written before email delivery existed: it was for an admin to pass on, and is not sent.'"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_state_due")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_user_id"))
        batch_op.drop_constraint(batch_op.f("uq_outbox_messages_dedupe_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_outbox_messages_user_id_users"), type_="foreignkey")
        for column in (
            "dedupe_key", "provider_reference", "sent_at", "next_attempt_at", "last_error",
            "attempts", "state", "html_body", "user_id", "kind",
        ):
            batch_op.drop_column(column)
