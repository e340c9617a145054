"""add notification preferences to users

Revision ID: d2c6a8e1f3b9
Revises: 5e9b2c8a4f17
Create Date: 2024-04-11 08:05:44.902716

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "d2c6a8e1f3b9"
down_revision: Union[str, None] = "5e9b2c8a4f17"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("notify_by_email", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "users",
        sa.Column("quiet_hours", sa.String(length=11), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("users", "quiet_hours")
    op.drop_column("users", "notify_by_email")
