"""Hybrid keeps its own push feed tables.

fanout and hybrid shared ``feed_state`` and ``feed_entries``: rebuilding one (or hybrid
retiring an idle reader) changed the other's feeds when both were maintained. Each push
strategy now owns its pair. Hybrid's feeds start empty: its readers are served by pull
while their feeds are built again, as after a crash (the tables are UNLOGGED too).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""
    CREATE UNLOGGED TABLE hybrid_feed_state (
        user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        floor    bigint NOT NULL,
        built_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNLOGGED TABLE hybrid_feed_entries (
        user_id bigint NOT NULL,
        post_id bigint NOT NULL,
        PRIMARY KEY (user_id, post_id)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE hybrid_feed_entries, hybrid_feed_state;")
