"""add points to chores

Revision ID: 0a7f4d3e6c58
Revises: b7d3f5a19c20
Create Date: 2024-04-08 17:22:39.415003

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0a7f4d3e6c58'
down_revision = 'b7d3f5a19c20'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('chores', sa.Column('points', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('assignments', sa.Column('points_awarded', sa.Integer(), nullable=True))
    op.create_check_constraint('ck_chores_points_positive', 'chores', 'points > 0')


def downgrade():
    op.drop_constraint('ck_chores_points_positive', 'chores', type_='check')
    op.drop_column('assignments', 'points_awarded')
    op.drop_column('chores', 'points')
