"""Push feeds in chunks: a row holds many of a reader's post ids.

A row per (reader, post) cost 76 bytes per entry on disk (a 24-byte tuple header, 16
bytes of ids, its line pointer, and a primary key entry as large again). A chunk row holds
up to 200 of one reader's post ids in an array: a fan-out writes one row per reader per
batch of posts, a build or a backfill one per 200 posts, and the upkeep merges a reader's
small chunks into full ones, so an entry costs about 9 bytes once merged.

A chunk's ``top`` and ``bottom`` bound its ids (every id is in ``[bottom, top]``; after an
id is removed they may be looser than the ids, never tighter), so a page reads only the
chunks that meet its window. ``(user_id, top)`` is the key: a retried fan-out of the same
batch merges into the chunk it wrote instead of adding a second one.

The views ``feed_entries`` and ``hybrid_feed_entries`` show the chunks as one row per
entry, as the tables did, for people and reports (never for requests).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"

CHUNKED = """
    CREATE UNLOGGED TABLE {chunks} (
        user_id  bigint NOT NULL,
        top      bigint NOT NULL,
        bottom   bigint NOT NULL,
        post_ids bigint[] NOT NULL,
        PRIMARY KEY (user_id, top)
    );
    INSERT INTO {chunks} (user_id, top, bottom, post_ids)
    SELECT user_id, max(post_id), min(post_id), array_agg(post_id ORDER BY post_id DESC)
    FROM (SELECT user_id, post_id,
                 (row_number() OVER (PARTITION BY user_id ORDER BY post_id DESC) - 1) / 200
                     AS part
          FROM {entries}) e
    GROUP BY user_id, part;
    DROP TABLE {entries};
    CREATE VIEW {entries} AS
        SELECT c.user_id, x.post_id FROM {chunks} c, unnest(c.post_ids) AS x(post_id);
"""

UNCHUNKED = """
    DROP VIEW {entries};
    CREATE UNLOGGED TABLE {entries} (
        user_id bigint NOT NULL,
        post_id bigint NOT NULL,
        PRIMARY KEY (user_id, post_id)
    );
    INSERT INTO {entries} (user_id, post_id)
    SELECT DISTINCT c.user_id, x FROM {chunks} c, unnest(c.post_ids) x;
    DROP TABLE {chunks};
"""

PAIRS = (("feed_chunks", "feed_entries"), ("hybrid_feed_chunks", "hybrid_feed_entries"))


def upgrade() -> None:
    op.execute("""
    -- Two chunks' ids as one array, newest first, without repeats.
    CREATE FUNCTION microblog_merge_ids(a bigint[], b bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT array_agg(DISTINCT x ORDER BY x DESC) FROM unnest(a || b) x
    $$;
    """)
    for chunks, entries in PAIRS:
        op.execute(CHUNKED.format(chunks=chunks, entries=entries))


def downgrade() -> None:
    for chunks, entries in PAIRS:
        op.execute(UNCHUNKED.format(chunks=chunks, entries=entries))
    op.execute("DROP FUNCTION microblog_merge_ids;")
