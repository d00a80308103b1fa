"""Many Server-Sent Event streams in one process, cheaply: the streaming benchmark's readers.

Each ``StreamReader`` is one raw HTTP/1.1 connection (asyncio streams, no client library:
a thousand of them must fit in one process on the cores the server uses too) to
``/api/v1/streaming/user`` with the reader's bearer token. It decodes the chunked body,
splits it into events and records, for every ``update``, the post's id and the wall-clock
time (``time.time()``, the clock PostgreSQL's ``now()`` reads on the same machine) at which
the chunk carrying it was read. Heartbeats and other events are only counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from dataclasses import dataclass, field

import orjson

STREAM_PATH = "/api/v1/streaming/user"
CONNECT_TIMEOUT_SECONDS = 10.0
HEAD_LIMIT = 16 * 1024  # bytes of response head accepted
_ID_PREFIX = b'{"id":"'


class StreamRefused(Exception):
    """The server did not open the stream (its status line, or what went wrong)."""


@dataclass(eq=False)
class StreamReader:
    """One reader's live home stream, and what arrived on it."""

    user_id: int
    token: str
    arrivals: dict[int, float] = field(default_factory=dict)  # post id → first arrival
    duplicates: int = 0  # updates for a post already received
    others: int = 0  # events other than update (notifications, deletes)
    heartbeats: int = 0
    opened_at: float | None = None
    closed_at: float | None = None  # when it ended (either side)
    ended: bool = False  # the server ended the stream, or the connection broke
    error: str | None = None
    _writer: asyncio.StreamWriter | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        """Connected and not ended."""
        return self.opened_at is not None and self.closed_at is None

    async def start(self, host: str, port: int) -> None:
        """Connect and read the response head; the body is then read in the background.

        Raises ``StreamRefused`` when the answer is not ``200``.
        """
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), CONNECT_TIMEOUT_SECONDS
        )
        self._writer = writer
        writer.write(
            (
                f"GET {STREAM_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n"
                "Cache-Control: no-cache\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT_SECONDS)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            self.stop()
            raise StreamRefused(f"no response head ({type(exc).__name__})") from exc
        status_line, *header_lines = head[:HEAD_LIMIT].decode("latin-1").split("\r\n")
        if status_line.split(" ")[1:2] != ["200"]:
            self.stop()
            raise StreamRefused(status_line)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        self.opened_at = time.time()
        self._task = asyncio.create_task(self._read(reader, chunked))

    async def _read(self, reader: asyncio.StreamReader, chunked: bool) -> None:
        buffer = b""
        try:
            while True:
                if chunked:
                    size_line = await reader.readuntil(b"\r\n")
                    size = int(size_line.split(b";")[0].strip(), 16)
                    if size == 0:
                        break
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        break
                now = time.time()
                buffer += data.replace(b"\r\n", b"\n")
                while (end := buffer.find(b"\n\n")) >= 0:
                    self._event(buffer[:end], now)
                    buffer = buffer[end + 2 :]
        except asyncio.CancelledError:
            raise
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        self.ended = True
        if self.closed_at is None:
            self.closed_at = time.time()

    def _event(self, raw: bytes, now: float) -> None:
        name = b"message"
        data: list[bytes] = []
        for line in raw.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:].strip()
            elif line.startswith(b"data:"):
                data.append(line[5:].removeprefix(b" "))
        if name == b"update" and data:
            post_id = _status_id(b"\n".join(data))
            if post_id in self.arrivals:
                self.duplicates += 1
            else:
                self.arrivals[post_id] = now
        elif data:
            self.others += 1
        else:
            self.heartbeats += 1

    def stop(self) -> None:
        """Close the connection (the reading task, if any, is cancelled)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._writer is not None:
            self._writer.close()
        if self.opened_at is not None and self.closed_at is None:
            self.closed_at = time.time()

    async def stopped(self) -> None:
        """Close the connection and wait for the reading task to end."""
        self.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writer is not None:
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()


def _status_id(payload: bytes) -> int:
    """The id of a Status payload: read off its first key (the server writes ``id`` first)
    without parsing the rest, which would cost the client the CPU the server needs; parsed
    in full otherwise."""
    if payload.startswith(_ID_PREFIX) and payload.endswith(b"}"):
        end = payload.find(b'"', len(_ID_PREFIX))
        if end > len(_ID_PREFIX):
            return int(payload[len(_ID_PREFIX) : end])
    return int(orjson.loads(payload)["id"])


async def open_all(
    streams: list[StreamReader], host: str, port: int, concurrency: int = 50
) -> dict[str, int]:
    """Open every stream, ``concurrency`` at a time; the failures by reason (status line or
    error name)."""
    gate = asyncio.Semaphore(concurrency)
    failures: dict[str, int] = {}

    async def one(stream: StreamReader) -> None:
        async with gate:
            try:
                await stream.start(host, port)
            except (StreamRefused, OSError, TimeoutError) as exc:
                reason = str(exc) if isinstance(exc, StreamRefused) else type(exc).__name__
                stream.error = reason
                failures[reason] = failures.get(reason, 0) + 1

    await asyncio.gather(*(one(s) for s in streams))
    return failures


def raise_fd_limit(needed: int) -> int:
    """Raise this process's soft limit of open files towards ``needed`` (at most the hard
    limit); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return int(soft)
