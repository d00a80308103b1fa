"""A Redis Cluster for the tests: 3 masters and 3 replicas on free loopback ports, started
once per test session (in a temporary folder) and stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from microblog.cluster import procs
from microblog.cluster import redis as redis_cluster_procs
from microblog.cluster.redis import LocalRedisCluster

NEEDED = ("redis-server", "redis-cli")


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedisCluster]:
    """A running 3+3 Redis Cluster (a test that kills a master restarts it after)."""
    if not procs.have(*NEEDED):
        pytest.skip(f"needs {', '.join(NEEDED)}")
    cluster = redis_cluster_procs.start(tmp_path_factory.mktemp("redis-cluster"))
    try:
        yield cluster
    finally:
        cluster.stop()
