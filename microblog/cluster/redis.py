"""A Redis Cluster on loopback: masters with their replicas, each a ``redis-server`` of its
own under one folder, for the rehearsal (``microblog cluster up``) and the tests.

Nodes persist nothing but their cluster configuration (``nodes.conf``): the cache, the rate
limits and the live bus keep nothing that PostgreSQL does not. The node timeout is short
(1 s), so a killed master is replaced by its replica within a few seconds, and replicas
may always take over (``cluster-replica-validity-factor 0``). ``cluster-require-full-
coverage no``: while one master is away, the slots of the others keep answering.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.crc import key_slot

from microblog.cluster import procs
from microblog.cluster.procs import ClusterError, Proc

HOST = "127.0.0.1"
NODE_TIMEOUT_MS = 1000
# Redis abandons a manual failover after 5 s (CLUSTER_MF_TIMEOUT).
MANUAL_FAILOVER_SECONDS = 6.0
SLOTS = 16384


@dataclass(frozen=True)
class Node:
    """One line of ``CLUSTER NODES``, as one node sees the cluster."""

    node_id: str
    port: int
    flags: frozenset[str]
    master_id: str | None
    slots: tuple[tuple[int, int], ...]

    @property
    def is_master(self) -> bool:
        return "master" in self.flags

    @property
    def failed(self) -> bool:
        return bool({"fail", "fail?"} & self.flags)

    def owns(self, slot: int) -> bool:
        return any(low <= slot <= high for low, high in self.slots)


@dataclass
class LocalRedisCluster:
    """A running cluster: its nodes' ports (the first ``masters`` were created masters)
    and their processes."""

    folder: Path
    ports: list[int]
    bus_ports: list[int]
    masters: int
    replicas_per_master: int
    procs: dict[int, Proc] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The URL of one node that runs (``MICROBLOG_REDIS_URL``; any node will do)."""
        return f"redis://{HOST}:{self.live_ports()[0]}/0"

    def live_ports(self) -> list[int]:
        """The nodes whose process runs."""
        return [p for p in self.ports if p in self.procs and self.procs[p].alive()]

    def stop(self) -> None:
        """Stop every node."""
        for proc in self.procs.values():
            procs.stop(proc, timeout=5)
        self.procs.clear()

    # What the cluster says ---------------------------------------------------------------

    def nodes(self, port: int | None = None) -> list[Node]:
        """``CLUSTER NODES`` as the node on ``port`` (or any running node) sees it."""
        with _client(port or self.live_ports()[0]) as client:
            return parse_nodes(_raw(client, "CLUSTER NODES"))

    def master_for(self, key: str | bytes) -> int:
        """The port of the master that owns the slot of ``key`` now."""
        slot = key_slot(key.encode() if isinstance(key, str) else key)
        for node in self.nodes():
            if node.is_master and not node.failed and node.owns(slot):
                return node.port
        raise ClusterError(f"no running master owns slot {slot}")

    def master_ports(self) -> list[int]:
        """The ports of the masters that serve slots now."""
        return sorted(n.port for n in self.nodes() if n.is_master and n.slots and not n.failed)

    # Failures ----------------------------------------------------------------------------

    def kill_master(self, port: int, timeout: float = 30.0) -> int:
        """Kill the master on ``port`` (SIGKILL, as a crash) and wait until a replica has
        taken its slots over and the cluster is ok again; the new master's port."""
        before = {n.port: n for n in self.nodes(port)}
        if port not in before or not before[port].is_master or not before[port].slots:
            raise ClusterError(f"127.0.0.1:{port} is not a master with slots")
        slot = before[port].slots[0][0]
        procs.kill(self.procs[port])
        deadline = time.monotonic() + timeout
        while True:
            new = self._owner_seen_by_all(slot, exclude=port)
            if new is not None and self._ok(self.live_ports()):
                return new
            if time.monotonic() > deadline:
                raise ClusterError(f"no replica took over from 127.0.0.1:{port} in {timeout} s")
            time.sleep(0.1)

    def restart(self, port: int, timeout: float = 30.0) -> None:
        """Start a killed node again: it finds that a replica took its slots and rejoins
        as a replica of it; returns when it is in sync and the cluster is ok."""
        if port in self.procs and self.procs[port].alive():
            raise ClusterError(f"127.0.0.1:{port} runs already")
        self.procs[port] = _spawn(self.folder, port, self._bus_port(port))
        procs.wait_port(self.procs[port], port)
        deadline = time.monotonic() + timeout
        while not (
            self._is_synced_replica(port)
            and self._ok(self.live_ports())
            and self._seen_well_by_all(port)
        ):
            if time.monotonic() > deadline:
                raise ClusterError(f"127.0.0.1:{port} did not rejoin as a replica in {timeout} s")
            if not self.procs[port].alive():
                raise ClusterError(f"127.0.0.1:{port} exited:\n{self.procs[port].tail()}")
            time.sleep(0.1)

    def promote(self, port: int, timeout: float = 30.0) -> None:
        """A manual failover (``CLUSTER FAILOVER`` on the replica on ``port``): the replica
        becomes the master of its master's slots, the master its replica; no process dies
        and no connection breaks. Returns when the cluster is ok."""
        myself = self._myself(port)
        if myself is None or "slave" not in myself.flags:
            raise ClusterError(f"127.0.0.1:{port} is not a replica")
        deadline = time.monotonic() + timeout
        asked_at = -MANUAL_FAILOVER_SECONDS
        while True:
            myself = self._myself(port)
            replica = myself is not None and "slave" in myself.flags
            if replica and time.monotonic() - asked_at >= MANUAL_FAILOVER_SECONDS:
                # Redis gives a manual failover a few seconds; one that timed out is
                # asked again.
                with _client(port) as client, contextlib.suppress(redis.ResponseError):
                    client.execute_command("CLUSTER FAILOVER")  # type: ignore[no-untyped-call]
                asked_at = time.monotonic()
            live = self.live_ports()
            if myself is not None and myself.is_master and myself.slots:
                slot = myself.slots[0][0]
                owner = self._owner_seen_by_all(slot, exclude=-1)
                if owner == port and self._ok(live) and all(self._synced(p) for p in live):
                    return
            if time.monotonic() > deadline:
                raise ClusterError(f"127.0.0.1:{port} did not take over in {timeout} s")
            time.sleep(0.1)

    def _seen_well_by_all(self, port: int) -> bool:
        """Whether every running node sees the node on ``port`` without a failure flag."""
        for other in self.live_ports():
            try:
                seen = {n.port: n for n in self.nodes(other)}
            except (redis.RedisError, OSError):
                return False
            if port not in seen or seen[port].failed:
                return False
        return True

    def _myself(self, port: int) -> Node | None:
        try:
            return next(n for n in self.nodes(port) if "myself" in n.flags)
        except (redis.RedisError, OSError, StopIteration):
            return None

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Wait until every running node says ``cluster_state:ok``, knows every node and
        every replica is in sync with its master."""
        deadline = time.monotonic() + timeout
        live = self.live_ports()
        while not (self._ok(live) and all(self._synced(p) for p in live)):
            if time.monotonic() > deadline:
                raise ClusterError(f"the Redis Cluster was not ok in {timeout} s")
            time.sleep(0.1)

    def _bus_port(self, port: int) -> int:
        return self.bus_ports[self.ports.index(port)]

    def _ok(self, ports: list[int]) -> bool:
        for port in ports:
            try:
                with _client(port) as client:
                    info = _raw(client, "CLUSTER INFO")
            except (redis.RedisError, OSError):
                return False
            fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
            if fields.get("cluster_state") != "ok":
                return False
            if fields.get("cluster_slots_assigned") != str(SLOTS):
                return False
            if fields.get("cluster_known_nodes") != str(len(self.ports)):
                return False
        return True

    def _owner_seen_by_all(self, slot: int, exclude: int) -> int | None:
        """The master of ``slot`` when every running node names the same one (not
        ``exclude``), and it runs and says it is a master."""
        owners = set()
        for port in self.live_ports():
            try:
                seen = self.nodes(port)
            except (redis.RedisError, OSError):
                return None
            owners |= {n.port for n in seen if n.is_master and n.owns(slot) and not n.failed}
        if len(owners) != 1:
            return None
        (owner,) = owners
        return owner if owner != exclude and owner in self.live_ports() else None

    def _synced(self, port: int) -> bool:
        """A master, or a replica whose link to its master is up."""
        try:
            with _client(port) as client:
                info = client.info("replication")
        except (redis.RedisError, OSError):
            return False
        return info.get("role") == "master" or info.get("master_link_status") == "up"

    def _is_synced_replica(self, port: int) -> bool:
        myself = self._myself(port)
        return myself is not None and "slave" in myself.flags and self._synced(port)


def start(
    folder: Path,
    masters: int = 3,
    replicas_per_master: int = 1,
    ports: list[int] | None = None,
    timeout: float = 60.0,
) -> LocalRedisCluster:
    """Start ``masters`` masters with ``replicas_per_master`` replicas each on loopback,
    every node under ``folder/<port>``, create the cluster and wait until it is ok."""
    if masters < 3:
        raise ClusterError("a Redis Cluster needs at least 3 masters")
    count = masters * (1 + replicas_per_master)
    # Each node has a second port for the cluster bus (by default its port + 10000, which
    # free ports above 55535 would not have): given explicitly, from free ports too.
    free = procs.free_ports(2 * count)
    ports = ports or free[:count]
    bus_ports = [p for p in free if p not in ports][:count]
    if len(ports) != count:
        raise ClusterError(f"{count} ports are needed, {len(ports)} given")
    cluster = LocalRedisCluster(folder, ports, bus_ports, masters, replicas_per_master)
    try:
        for port, bus_port in zip(ports, bus_ports, strict=True):
            cluster.procs[port] = _spawn(folder, port, bus_port)
        for port in ports:
            procs.wait_port(cluster.procs[port], port)
        # redis-cli takes the first ``masters`` addresses as masters, the rest as replicas.
        procs.run(
            [
                procs.binary("redis-cli"),
                "--cluster",
                "create",
                *(f"{HOST}:{port}" for port in ports),
                "--cluster-replicas",
                str(replicas_per_master),
                "--cluster-yes",
            ]
        )
        cluster.wait_ok(timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def parse_nodes(text: str) -> list[Node]:
    """The lines of ``CLUSTER NODES``."""
    nodes = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        address = parts[1].split("@", 1)[0]
        ranges = []
        for part in parts[8:]:
            if part.startswith("["):
                continue  # a slot being migrated
            low, _, high = part.partition("-")
            ranges.append((int(low), int(high or low)))
        nodes.append(
            Node(
                node_id=parts[0],
                port=int(address.rsplit(":", 1)[1]),
                flags=frozenset(parts[2].split(",")),
                master_id=None if parts[3] == "-" else parts[3],
                slots=tuple(ranges),
            )
        )
    return nodes


def _spawn(folder: Path, port: int, bus_port: int) -> Proc:
    """One node, its configuration and log in ``folder/<port>``."""
    home = folder / str(port)
    home.mkdir(parents=True, exist_ok=True)
    argv = [
        procs.binary("redis-server"),
        "--port",
        str(port),
        "--bind",
        HOST,
        "--dir",
        str(home),
        "--cluster-enabled",
        "yes",
        "--cluster-port",
        str(bus_port),
        "--cluster-config-file",
        str(home / "nodes.conf"),
        "--cluster-node-timeout",
        str(NODE_TIMEOUT_MS),
        "--cluster-replica-validity-factor",
        "0",
        "--cluster-require-full-coverage",
        "no",
        "--repl-diskless-sync-delay",
        "0",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
    ]
    return procs.spawn(f"redis-{port}", argv, home / "redis.log")


def _raw(client: redis.Redis, command: str) -> str:
    """A command's reply as the server's text."""
    return str(client.execute_command(command))  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def _client(port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(
        host=HOST, port=port, socket_timeout=2.0, socket_connect_timeout=1.0, decode_responses=True
    )
    # The raw text of CLUSTER NODES and CLUSTER INFO, not redis-py's parse of them.
    for command in ("CLUSTER NODES", "CLUSTER INFO"):
        client.response_callbacks.pop(command, None)
    try:
        yield client
    finally:
        client.close()
