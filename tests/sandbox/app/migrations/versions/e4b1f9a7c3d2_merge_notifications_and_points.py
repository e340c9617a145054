"""merge notifications and points

Revision ID: e4b1f9a7c3d2
Revises: d2c6a8e1f3b9, 0a7f4d3e6c58
Create Date: 2024-04-15 11:40:03.287561

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "e4b1f9a7c3d2"
down_revision: Union[str, Sequence[str], None] = ("d2c6a8e1f3b9", "0a7f4d3e6c58")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Points earned per user, now that both branches exist: the leaderboard reads this.
    op.create_table(
        "user_points",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_points")
