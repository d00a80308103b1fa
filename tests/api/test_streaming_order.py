"""Posts commit (and are said on the live bus) in commit order, not id order: an SSE user
stream must deliver an update whose id is lower than one it has already sent.

Found by the streaming benchmark (``microblog bench-stream``): at 100 posts/s with two server
processes, 3-5% of the deliveries never arrived on the SSE streams (none were late: a drain
of 120 s found the same misses), because ``web/streaming.py``'s ``_advance`` drops every
live update whose post id was not above the last one sent. That check was meant for the
overlap between a reconnection's replay and the live events; it also dropped the post of a
transaction that committed after a later-numbered one. Now only what the replay sent is
not sent again.
"""

from __future__ import annotations

import asyncio

import httpx
import psycopg

from microblog.settings import Settings
from tests.api.helpers import auth, post, register
from tests.api.test_streaming import WAIT, server, sse


async def _blocked(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> bool:
    """Whether another backend waits for a lock (the held author row)."""
    cur = await conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    row = await cur.fetchone()
    return bool(row and int(str(row[0])) > 0)


async def test_a_post_committed_after_a_later_numbered_one_still_reaches_the_stream(
    settings: Settings,
) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=WAIT * 2) as client:
            ann, _ = await register(client, "ann")
            bob, bob_id = await register(client, "bob")
            carl, carl_id = await register(client, "carl")
            for target in (bob_id, carl_id):
                followed = await client.post(f"/api/v1/accounts/{target}/follow", headers=auth(ann))
                assert followed.status_code == 200
            async with (
                sse(base, "/api/v1/streaming/user", ann) as stream,
                await psycopg.AsyncConnection.connect(settings.database_url) as holder,
            ):
                # bob's author row is held: his post gets its id, then waits to commit
                # (the insert's trigger counts it in his posts_count).
                await holder.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (int(bob_id),))
                first = asyncio.create_task(post(client, bob, "numbered first, committed last"))
                for _ in range(200):
                    if await _blocked(holder):
                        break
                    await asyncio.sleep(0.02)
                else:
                    raise AssertionError("bob's post never waited for the held row")
                second = await post(client, carl, "numbered second, committed first")
                assert (await stream.update())["id"] == second["id"]
                await holder.commit()  # bob's post commits now
                earlier = await first
                assert int(earlier["id"]) < int(second["id"])
                # It is in ann's home timeline (REST) ...
                home = await client.get("/api/v1/timelines/home", headers=auth(ann))
                assert earlier["id"] in [s["id"] for s in home.json()]
                # ... and must reach her live stream too.
                assert (await stream.update())["id"] == earlier["id"]
