"""The scaled-out topology end to end: the app through PgBouncer, reading on a streaming
replica, its cache, rate limits and live bus on a Redis Cluster, its jobs straight on the
primary. A real Mastodon client plays the API scenario; every strategy's pages, with the
cache, equal pull's after random histories."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from microblog.app import create_app
from microblog.cluster.redis import LocalRedisCluster
from microblog.settings import Settings
from tests.api.test_mastodon_client import client_for, sign_up
from tests.cluster.pg_topology import PgTopology, forget_marks
from tests.conftest import Runtime, flush_cache, free_port, open_test_runtime, serving, truncate_all
from tests.integration.test_strategies_equal import (
    History,
    check_equal,
    check_first_pages,
    config_settings,
    op,
    play,
)

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def topology_settings(topology: PgTopology, cluster: LocalRedisCluster, **changes: Any) -> Settings:
    """The app on both topologies: PostgreSQL's and Redis's."""
    return topology.settings(redis_url=cluster.url, redis_cluster=True, **changes)


@pytest.fixture
def live_topology(topology: PgTopology, redis_cluster: LocalRedisCluster) -> Iterator[str]:
    """The app on the topology, served by a real uvicorn with its job worker; its URL."""
    port = free_port()
    settings = topology_settings(
        topology,
        redis_cluster,
        feed_strategy="hybrid",
        feed_cache="redis",
        run_worker=True,
        public_url=f"http://127.0.0.1:{port}",
    )
    with serving(create_app(settings), port) as url:
        yield url


def eventually(check: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait (bounded) until ``check`` holds: fan-out runs in the background."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("did not happen in time")
        time.sleep(0.1)


def contents(page: list[dict[str, Any]]) -> list[str]:
    return [str(s["content"]) for s in page]


def test_mastodon_client_scenario(live_topology: str) -> None:
    alice = client_for(live_topology, sign_up(live_topology, "alice"))
    bob = client_for(live_topology, sign_up(live_topology, "bob"))
    alice_id = alice.account_verify_credentials()["id"]
    bob.account_follow(alice_id)
    # Bob's follow is his own write: his next read shows it at once, replica or not.
    assert [a["username"] for a in bob.account_following(bob.me()["id"])] == ["alice"]

    first = alice.status_post("hello from the topology #rehearsal")
    # Alice's own post never vanishes from her profile, whatever the replica's lag.
    assert contents(alice.account_statuses(alice_id))[0] == first["content"]
    eventually(lambda: first["content"] in contents(bob.timeline_home()))

    bob.status_favourite(first["id"])
    boost = bob.status_reblog(first["id"])
    assert boost["reblog"]["id"] == first["id"]
    reply = bob.status_post("@alice welcome", in_reply_to_id=first["id"])
    eventually(
        lambda: {"favourite", "reblog", "mention"} <= {n["type"] for n in alice.notifications()}
    )
    context = alice.status_context(first["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    eventually(lambda: first["id"] in [s["id"] for s in bob.search_v2("rehearsal")["statuses"]])
    assert alice.status(first["id"])["favourites_count"] == 1

    alice.status_delete(first["id"])
    assert first["id"] not in [s["id"] for s in alice.account_statuses(alice_id)]
    eventually(lambda: first["content"] not in contents(bob.timeline_home()))


class TopologyHistory(History):
    """A history whose mid-history looks wait for the replica: a reader who wrote nothing
    is served by it, and a replica behind the primary shows an older page by design."""

    def __init__(self, runtime: Runtime, url: str, topology: PgTopology) -> None:
        super().__init__(runtime, url)
        self.topology = topology

    async def look(self, *readers: int) -> None:
        await self.runtime.drain()
        await caught_up(self.runtime, self.topology)
        for reader in readers:
            await check_first_pages(self.runtime, reader)


async def caught_up(runtime: Runtime, topology: PgTopology) -> None:
    """The replica has what the primary has, and the app knows it."""
    topology.replayed()
    await runtime.microblog.reads.check()
    assert all(r.usable for r in runtime.microblog.reads.replicas)


@pytest.mark.parametrize("strategy", ["pull", "fanout", "matview", "hybrid"])
@hypothesis_settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(op, st.booleans()), min_size=10, max_size=30))
async def test_strategy_pages_equal_pull_on_the_topology(
    topology: PgTopology,
    redis_cluster: LocalRedisCluster,
    strategy: str,
    steps: list[tuple[tuple[object, ...], bool]],
) -> None:
    truncate_all(topology.direct_url)
    forget_marks()
    settings = config_settings(topology_settings(topology, redis_cluster), strategy, "redis")
    async with open_test_runtime(settings) as runtime:
        assert runtime.microblog.reads.enabled
        await flush_cache(runtime)
        history = TopologyHistory(runtime, topology.direct_url, topology)
        await play(history, steps)
        await caught_up(runtime, topology)
        await check_equal(runtime, history.users)
