"""The live hub on its own: what it does with malformed messages, slow subscriptions and
resumption marks (the streaming API's end-to-end tests are in tests/api/test_streaming.py)."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis.asyncio as aioredis

from microblog import live
from microblog.runtime import Runtime
from microblog.store.bus import RedisBus
from microblog.web.streaming import Marks
from tests.conftest import free_port


async def test_a_malformed_message_is_dropped_and_the_hub_goes_on(runtime: Runtime) -> None:
    ann = await runtime.microblog.sign_up("ann", "correct horse battery")
    async with runtime.live.subscribe(ann.id) as subscription:
        subscription.streams.add(("user", ""))
        await runtime.live.dispatch({"kind": "posts", "ids": ["x"]})
        await runtime.live.dispatch({"kind": "delete"})
        await runtime.live.dispatch({"kind": "notifications", "items": [[1]]})
        assert subscription.queue.empty()
        # The post comes through the bus, to the same hub, which listens still.
        post = await runtime.microblog.create_post(ann.id, "still here", None)
        event = await asyncio.wait_for(subscription.queue.get(), 5)
        assert event is not None and event.post is not None and event.post.id == post.id


async def test_a_subscription_that_falls_behind_is_closed(runtime: Runtime) -> None:
    ann = await runtime.microblog.sign_up("ann", "correct horse battery")
    post = await runtime.microblog.create_post(ann.id, "again and again", None)
    async with runtime.live.subscribe(ann.id) as slow, runtime.live.subscribe(ann.id) as fast:
        slow.streams.add(("user", ""))
        fast.streams.add(("user", ""))
        for _ in range(live.QUEUE_LIMIT + 1):
            await runtime.live.dispatch({"kind": "posts", "ids": [post.id]})
            while fast.queue.qsize():
                fast.queue.get_nowait()
        assert slow.closed and not fast.closed
        received = [e async for e in slow.events()]
        assert len(received) == live.QUEUE_LIMIT


async def test_no_subscription_no_work(runtime: Runtime) -> None:
    # With nobody listening the hub reads nothing (an id that does not exist is fine).
    await runtime.live.dispatch({"kind": "posts", "ids": [10**12]})
    assert not runtime.live.subscriptions


def test_marks_parse_what_they_print() -> None:
    assert str(Marks.parse("12.34")) == "12.34"
    assert Marks.parse("12") == Marks(12, 0)
    for bad in (None, "", "x.1", "1.x", "-1.2", "1.2.3"):
        assert Marks.parse(bad) == Marks()


async def test_lost_messages_are_reported_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    away = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    bus = RedisBus(away, "redis://unused")
    with caplog.at_level(logging.WARNING, logger="microblog.store.bus"):
        for _ in range(3):
            await bus.publish_after([{"kind": "posts", "ids": [1]}])
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "1 live message(s) lost (Redis" in warnings[0]
    assert bus.lost.count == 2  # told with the next warning
    await away.aclose()


async def test_posts_said_together_go_as_one_and_in_order(runtime: Runtime) -> None:
    ann = await runtime.microblog.sign_up("ann", "correct horse battery")
    made = [await runtime.microblog.create_post(ann.id, f"post {i}", None) for i in range(3)]
    async with runtime.live.subscribe(ann.id) as subscription:
        subscription.streams.add(("user", ""))
        first, second, third = (p.id for p in made)
        await runtime.live.dispatch_many(
            [
                {"kind": "posts", "ids": [first]},
                {"kind": "posts", "ids": [second]},
                {"kind": "delete", "id": first, "author": ann.id, "public": True},
                {"kind": "posts", "ids": [third]},
            ]
        )
        events = [subscription.queue.get_nowait() for _ in range(4)]
        assert [(e.kind, e.post.id if e.post else e.post_id) for e in events if e] == [
            ("update", first),
            ("update", second),
            ("delete", first),
            ("update", third),
        ]
        assert subscription.queue.empty()
