"""The topologies the cluster tests run against (each started once per test session)."""

from tests.cluster.pg_topology import pg_topology, topology
from tests.cluster.redis_topology import redis_cluster

__all__ = ["pg_topology", "redis_cluster", "topology"]
