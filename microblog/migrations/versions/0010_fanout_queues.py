"""Two fan-out queues: the outbox knows which one each waiting post belongs to.

Posts of authors with at least ``MICROBLOG_FANOUT_LARGE_FOLLOWERS`` followers wait as
``large`` and are fanned out by the jobs of the ``fanout_large`` queue; the others by those of
``fanout``. A job takes only its own queue's posts, in id order: the index serves that walk
(``FOR UPDATE SKIP LOCKED`` skips the rows other jobs hold).

The posts already waiting are ordinary ones (the default): whatever their author, they are
fanned out by the ``fanout`` queue, or by the ``post_published`` jobs queued before this
migration, which still run.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE feed_outbox ADD COLUMN large boolean NOT NULL DEFAULT false;
    CREATE INDEX feed_outbox_queue ON feed_outbox (large, post_id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP INDEX feed_outbox_queue;
    ALTER TABLE feed_outbox DROP COLUMN large;
    """)
