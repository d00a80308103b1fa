"""follows(followed_id) becomes (followed_id, follower_id): fan-outs read followers from
the index alone instead of one random heap page per follower.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("""
    CREATE INDEX follows_followed_id_follower_id_idx ON follows (followed_id, follower_id);
    DROP INDEX follows_followed_id_idx;
    """)


def downgrade() -> None:
    op.execute("""
    CREATE INDEX follows_followed_id_idx ON follows (followed_id);
    DROP INDEX follows_followed_id_follower_id_idx;
    """)
