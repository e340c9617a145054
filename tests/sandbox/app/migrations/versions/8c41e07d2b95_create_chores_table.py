"""create chores table

Revision ID: 8c41e07d2b95
Revises: 3f2a9c1d7b4e
Create Date: 2024-03-09 16:02:51.874210

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c41e07d2b95'
down_revision = '3f2a9c1d7b4e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'chores',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('household_id', sa.Integer(), sa.ForeignKey('households.id', ondelete='CASCADE'), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('recurrence', sa.String(length=32), nullable=False, server_default='weekly'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index('ix_chores_household_id', 'chores', ['household_id'])


def downgrade():
    op.drop_index('ix_chores_household_id', table_name='chores')
    op.drop_table('chores')
