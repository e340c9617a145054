"""add chore assignments

Revision ID: b7d3f5a19c20
Revises: 8c41e07d2b95
Create Date: 2024-03-21 09:47:05.120398

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "b7d3f5a19c20"
down_revision: Union[str, None] = "8c41e07d2b95"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chore_id", sa.Integer(), sa.ForeignKey("chores.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_assignments_user_due", "assignments", ["user_id", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_assignments_user_due", table_name="assignments")
    op.drop_table("assignments")
