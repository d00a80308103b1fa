"""The outbox of new posts, and push feed state UNLOGGED.

New posts wait in ``feed_outbox`` until a job takes them, several at a time (one fan-out
statement, one cache invalidation). The push tables become UNLOGGED: they are derived from
posts and follows, a fan-out writes no WAL for them, and after a crash PostgreSQL empties
both, which the strategies read as "no feed yet" (readers are served by pull while their
feeds are built again). The outbox stays logged: it is the record of work still owed.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE feed_outbox (post_id bigint PRIMARY KEY);
    -- Posts whose fan-out job is still queued from before the outbox existed.
    INSERT INTO feed_outbox (post_id)
    SELECT DISTINCT jsonb_array_elements_text(args -> 'post_ids')::bigint
    FROM procrastinate_jobs
    WHERE task_name = 'microblog:post_published' AND status IN ('todo', 'doing')
    ON CONFLICT DO NOTHING;
    ALTER TABLE feed_entries SET UNLOGGED;
    ALTER TABLE feed_state SET UNLOGGED;
    """)


def downgrade() -> None:
    op.execute("""
    ALTER TABLE feed_state SET LOGGED;
    ALTER TABLE feed_entries SET LOGGED;
    DROP TABLE feed_outbox;
    """)
