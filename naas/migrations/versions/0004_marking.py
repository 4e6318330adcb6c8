"""marking: scripts, control scripts, review requests, tier settings; marks belong to scripts

Revision ID: 0004
Revises: 0003

The marks table had no rows before this revision (nothing was marked before scripts
existed), so its response_id column is replaced by script_id without a data migration.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tier_settings',
    sa.Column('tier', sa.String(length=32), nullable=False),
    sa.Column('tolerance', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('review_window_days', sa.Integer(), nullable=False),
    sa.Column('drift_threshold', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('tier', name=op.f('pk_tier_settings'))
    )
    op.create_table('control_scripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('agreed_marks', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('agreed_total', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_control_scripts_created_by_users')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_control_scripts_item_version_id_item_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_control_scripts'))
    )
    op.create_table('scripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.String(length=32), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('sitting_id', sa.Integer(), nullable=True),
    sa.Column('control_id', sa.Integer(), nullable=True),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_by', sa.Integer(), nullable=True),
    sa.Column('held_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('final_mark', sa.String(length=64), nullable=True),
    sa.Column('final_source', sa.String(length=16), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['users.id'], name=op.f('fk_scripts_candidate_id_users')),
    sa.ForeignKeyConstraint(['control_id'], ['control_scripts.id'], name=op.f('fk_scripts_control_id_control_scripts')),
    sa.ForeignKeyConstraint(['held_by'], ['users.id'], name=op.f('fk_scripts_held_by_users')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_scripts_item_version_id_item_versions')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_scripts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_scripts_response_id_responses')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_scripts_sitting_id_sittings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scripts')),
    sa.UniqueConstraint('reference', name=op.f('uq_scripts_reference')),
    sa.UniqueConstraint('response_id', name=op.f('uq_scripts_response_id'))
    )
    with op.batch_alter_table('scripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scripts_sitting_id'), ['sitting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scripts_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_scripts_tier'), ['tier'], unique=False)

    op.create_table('review_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mark_before', sa.String(length=64), nullable=True),
    sa.Column('mark_after', sa.String(length=64), nullable=True),
    sa.Column('outcome_changed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['users.id'], name=op.f('fk_review_requests_candidate_id_users')),
    sa.ForeignKeyConstraint(['script_id'], ['scripts.id'], name=op.f('fk_review_requests_script_id_scripts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_requests')),
    sa.UniqueConstraint('script_id', name=op.f('uq_review_requests_script_id'))
    )
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_requests_candidate_id'), ['candidate_id'], unique=False)

    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('script_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('slot', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_marks_response_id'))
        batch_op.create_index(batch_op.f('ix_marks_script_id'), ['script_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_marks_script_id_slot'), ['script_id', 'slot'])
        batch_op.drop_constraint(batch_op.f('fk_marks_response_id_responses'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_marks_script_id_scripts'), 'scripts', ['script_id'], ['id'])
        batch_op.drop_column('response_id')



def downgrade() -> None:
    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_id', sa.INTEGER(), nullable=False))
        batch_op.drop_constraint(batch_op.f('fk_marks_script_id_scripts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_marks_response_id_responses'), 'responses', ['response_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('uq_marks_script_id_slot'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_marks_script_id'))
        batch_op.create_index(batch_op.f('ix_marks_response_id'), ['response_id'], unique=False)
        batch_op.drop_column('slot')
        batch_op.drop_column('script_id')

    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_requests_candidate_id'))

    op.drop_table('review_requests')
    with op.batch_alter_table('scripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scripts_tier'))
        batch_op.drop_index(batch_op.f('ix_scripts_status'))
        batch_op.drop_index(batch_op.f('ix_scripts_sitting_id'))

    op.drop_table('scripts')
    op.drop_table('control_scripts')
    op.drop_table('tier_settings')
