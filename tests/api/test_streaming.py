"""The streaming API against a real server: Server-Sent Events and the WebSocket, over both
buses (Redis pub/sub and PostgreSQL NOTIFY), from a pull and a fan-out strategy, across two
server processes, with the timelines' visibility rules and resumption by Last-Event-ID."""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import websockets
from mastodon import StreamListener

from microblog.app import create_app
from microblog.settings import Settings
from tests.api.helpers import auth, post, register
from tests.api.test_mastodon_client import client_for, sign_up
from tests.conftest import free_port, open_test_runtime, serving

WAIT = 10.0  # seconds an expected event may take (it takes milliseconds)
QUIET = 0.7  # seconds of silence that show an event did not come


@dataclass
class Stream:
    """Events read from an SSE response in the background."""

    events: asyncio.Queue[tuple[str, str, str]] = field(default_factory=asyncio.Queue)

    async def next(self, seconds: float = WAIT) -> tuple[str, str, str]:
        """(event, data, id) of the next event."""
        return await asyncio.wait_for(self.events.get(), seconds)

    async def update(self) -> dict[str, Any]:
        """The next event, which must be an update; its Status."""
        name, data, _ = await self.next()
        assert name == "update", (name, data)
        return json.loads(data)  # type: ignore[no-any-return]

    async def silent(self) -> None:
        """No event for a while."""
        with pytest.raises(TimeoutError):
            await self.next(QUIET)


@contextlib.asynccontextmanager
async def sse(
    base: str, path: str, token: str | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[Stream]:
    """An open SSE stream, read into a ``Stream`` until the block ends."""
    stream = Stream()
    ready = asyncio.Event()
    sent = {**(auth(token) if token else {}), **(headers or {})}

    async def read() -> None:
        async with (
            httpx.AsyncClient(base_url=base, timeout=None) as client,
            client.stream("GET", path, headers=sent) as response,
        ):
            assert response.status_code == 200, await response.aread()
            ready.set()
            name, data, ident = "message", [], ""
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line.startswith("id:"):
                    ident = line[3:].strip()
                elif line == "" and data:
                    await stream.events.put((name, "\n".join(data), ident))
                    name, data = "message", []

    task = asyncio.create_task(read())
    opened = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, opened}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    opened.cancel()
    if task in done:
        task.result()  # raises what went wrong
    assert ready.is_set(), "the stream did not open"
    # The hub listens before the response starts; a short pause lets the subscription
    # register on the server before the test acts.
    await asyncio.sleep(0.1)
    try:
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await task


@contextlib.contextmanager
def server(settings: Settings) -> Iterator[str]:
    port = free_port()
    app = create_app(settings.replace(public_url=f"http://127.0.0.1:{port}"))
    with serving(app, port) as url:
        yield url


@pytest.fixture(params=["redis", "postgres"])
def bus_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.replace(live_bus=request.param)


async def test_user_stream_gets_posts_of_followed_accounts_and_notifications(
    bus_settings: Settings,
) -> None:
    with server(bus_settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            bob, bob_id = await register(client, "bob")
            carl, carl_id = await register(client, "carl")
            follow = await client.post(f"/api/v1/accounts/{bob_id}/follow", headers=auth(ann))
            assert follow.status_code == 200
            async with sse(base, "/api/v1/streaming/user", ann) as stream:
                await post(client, carl, "not followed")
                mine = await post(client, bob, "hello followers")
                status = await stream.update()
                assert status["id"] == mine["id"]
                assert status["content"] == mine["content"]
                assert status["account"]["username"] == "bob"
                # carl's post never came (it was said before bob's, and would be first).
                ann_id = (await client.get("/api/v1/accounts/lookup?acct=ann")).json()["id"]
                await client.post(f"/api/v1/accounts/{ann_id}/follow", headers=auth(carl))
                name, data, ident = await stream.next()
                assert name == "notification"
                note = json.loads(data)
                assert note["type"] == "follow" and note["account"]["username"] == "carl"
                assert ident == f"{mine['id']}.{note['id']}"
                gone = await client.delete(f"/api/v1/statuses/{mine['id']}", headers=auth(bob))
                assert gone.status_code == 200
                assert await stream.next() == ("delete", mine["id"], ident)
                await stream.silent()
            assert carl_id


async def test_stream_follows_the_timeline_rules(settings: Settings) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, ann_id = await register(client, "ann")
            bob, bob_id = await register(client, "bob")
            dan, dan_id = await register(client, "dan")
            for target in (bob_id, dan_id):
                await client.post(f"/api/v1/accounts/{target}/follow", headers=auth(ann))
            await client.post(f"/api/v1/accounts/{dan_id}/mute", headers=auth(ann))
            async with sse(base, "/api/v1/streaming/user", ann) as stream:
                direct = {"status": "just for carl", "visibility": "direct"}
                await client.post("/api/v1/statuses", data=direct, headers=auth(bob))
                await post(client, dan, "muted")
                to_ann = {"status": "@ann this is for you", "visibility": "direct"}
                response = await client.post("/api/v1/statuses", data=to_ann, headers=auth(bob))
                status = await stream.update()
                assert status["id"] == response.json()["id"]
                assert status["visibility"] == "direct"
                name, data, _ = await stream.next()
                assert name == "notification" and json.loads(data)["type"] == "mention"
                await stream.silent()
            assert ann_id


async def test_public_and_hashtag_streams_over_the_websocket(settings: Settings) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            url = base.replace("http", "ws") + f"/api/v1/streaming?stream=public&access_token={ann}"
            async with websockets.connect(url) as socket:
                await socket.send(
                    json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Tea"})
                )
                await socket.send(json.dumps({"type": "subscribe", "stream": "nonsense"}))
                error = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
                assert "Unknown stream" in error["error"]
                await asyncio.sleep(0.1)
                made = await post(client, ann, "public words")
                message = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
                assert message["stream"] == ["public"] and message["event"] == "update"
                assert json.loads(message["payload"])["id"] == made["id"]
                await client.post(
                    "/api/v1/statuses",
                    data={"status": "quiet", "visibility": "unlisted"},
                    headers=auth(ann),
                )
                await socket.send(json.dumps({"type": "unsubscribe", "stream": "public"}))
                await asyncio.sleep(0.1)
                await post(client, ann, "more words")
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(socket.recv(), QUIET)


async def test_anonymous_and_scopes(settings: Settings) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            reader = await client.post(
                "/oauth/token",
                data={
                    "grant_type": "password",
                    "username": "ann",
                    "password": "correct horse battery",
                    "scope": "write",
                },
            )
            write_only = reader.json()["access_token"]
            response = await client.get("/api/v1/streaming/user")
            assert response.status_code == 401
            response = await client.get("/api/v1/streaming/user", headers=auth(write_only))
            assert response.status_code == 403 and "read:statuses" in response.json()["error"]
            response = await client.get("/api/v1/streaming/hashtag", headers=auth(ann))
            assert response.status_code == 422
            assert (await client.get("/api/v1/streaming/health")).text == "OK"
            async with sse(base, "/api/v1/streaming/public") as stream:
                made = await post(client, ann, "for everyone")
                assert (await stream.update())["id"] == made["id"]


async def test_last_event_id_resumes_without_gaps(settings: Settings) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            bob, bob_id = await register(client, "bob")
            await client.post(f"/api/v1/accounts/{bob_id}/follow", headers=auth(ann))
            async with sse(base, "/api/v1/streaming/user", ann) as stream:
                first = await post(client, bob, "one")
                assert (await stream.update())["id"] == first["id"]
            missed = [await post(client, bob, f"missed {i}") for i in range(3)]
            resume = {"Last-Event-ID": f"{first['id']}.0"}
            async with sse(base, "/api/v1/streaming/user", ann, resume) as stream:
                got = [(await stream.update())["id"] for _ in missed]
                assert got == [m["id"] for m in missed]
                live = await post(client, bob, "live again")
                assert (await stream.update())["id"] == live["id"]
                await stream.silent()


@pytest.mark.parametrize("strategy", ["pull", "fanout", "matview", "hybrid"])
async def test_posts_reach_streams_from_every_strategy(settings: Settings, strategy: str) -> None:
    chosen = settings.replace(feed_strategy=strategy)
    async with open_test_runtime(chosen) as runtime:
        with server(chosen) as base:
            async with httpx.AsyncClient(base_url=base) as client:
                ann, _ = await register(client, "ann")
                bob, bob_id = await register(client, "bob")
                await client.post(f"/api/v1/accounts/{bob_id}/follow", headers=auth(ann))
                await client.get("/api/v1/timelines/home", headers=auth(ann))  # an active reader
                await runtime.drain()
                async with sse(base, "/api/v1/streaming/user", ann) as stream:
                    made = await post(client, bob, f"served by {strategy}")
                    if runtime.engine.background_posts:
                        await stream.silent()  # not in ann's feed until the fan-out job ran
                        await runtime.drain()
                    assert (await stream.update())["id"] == made["id"]
                    home = await client.get("/api/v1/timelines/home", headers=auth(ann))
                    assert home.json()[0]["id"] == made["id"]


async def test_every_server_process_delivers(settings: Settings) -> None:
    with server(settings) as one, server(settings) as two:
        async with httpx.AsyncClient(base_url=one) as client:
            ann, _ = await register(client, "ann")
            bob, bob_id = await register(client, "bob")
            await client.post(f"/api/v1/accounts/{bob_id}/follow", headers=auth(ann))
            async with (
                sse(one, "/api/v1/streaming/user", ann) as here,
                sse(two, "/api/v1/streaming/user", ann) as there,
            ):
                made = await post(client, bob, "to both")
                assert (await here.update())["id"] == made["id"]
                assert (await there.update())["id"] == made["id"]


def test_instance_names_the_streaming_origin(settings: Settings) -> None:
    with server(settings) as base:
        v1 = httpx.get(f"{base}/api/v1/instance").json()
        v2 = httpx.get(f"{base}/api/v2/instance").json()
    assert v1["urls"]["streaming_api"] == base.replace("http", "ws")
    assert v2["configuration"]["urls"]["streaming"] == base.replace("http", "ws")


def test_mastodon_py_stream_user_receives_an_update_and_a_notification(
    settings: Settings,
) -> None:
    # Mastodon.py's close() waits for the next chunk: a heartbeat each second keeps it short.
    with server(settings.replace(stream_heartbeat_seconds=1)) as base:
        _stream_user_with_mastodon_py(base)


def _stream_user_with_mastodon_py(base: str) -> None:
    ada = client_for(base, sign_up(base, "ada"))
    bob = client_for(base, sign_up(base, "bob"))
    ada.account_follow(bob.me()["id"])
    got: queue.Queue[tuple[str, Any]] = queue.Queue()

    class Listener(StreamListener):  # type: ignore[misc]
        def on_update(self, status: Any) -> None:
            got.put(("update", status))

        def on_notification(self, notification: Any) -> None:
            got.put(("notification", notification))

    handle = ada.stream_user(Listener(), run_async=True)
    try:
        time.sleep(0.5)  # connected and subscribed
        posted = bob.status_post("hello ada's stream")
        kind, status = got.get(timeout=WAIT)
        assert kind == "update" and str(status["id"]) == str(posted["id"])
        assert status["account"]["acct"] == "bob"
        bob.status_favourite(ada.status_post("like me")["id"])
        kinds = [got.get(timeout=WAIT) for _ in range(2)]
        # ada's own post reaches her home stream, then bob's favourite notifies her.
        assert [k for k, _ in kinds] == ["update", "notification"]
        note = kinds[1][1]
        assert note["type"] == "favourite" and note["account"]["acct"] == "bob"
    finally:
        handle.close()


async def test_public_streams_hear_deletions_of_public_posts_only(settings: Settings) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            private = await client.post(
                "/api/v1/statuses",
                data={"status": "followers only #tea", "visibility": "private"},
                headers=auth(ann),
            )
            public = await post(client, ann, "for all #tea")
            async with (
                sse(base, "/api/v1/streaming/public") as everyone,
                sse(base, "/api/v1/streaming/hashtag?tag=tea") as tea,
            ):
                gone = private.json()["id"]
                await client.delete(f"/api/v1/statuses/{gone}", headers=auth(ann))
                await client.delete(f"/api/v1/statuses/{public['id']}", headers=auth(ann))
                for stream in (everyone, tea):
                    name, data, _ = await stream.next()
                    assert (name, data) == ("delete", public["id"])
                    await stream.silent()


async def test_the_websocket_takes_the_token_as_its_protocol(settings: Settings) -> None:
    # masto.js opens ``new WebSocket(url, accessToken)``: the token is the subprotocol,
    # and the server must accept the socket with it.
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            bob, bob_id = await register(client, "bob")
            await client.post(f"/api/v1/accounts/{bob_id}/follow", headers=auth(ann))
            url = base.replace("http", "ws") + "/api/v1/streaming?stream=user"
            protocol = websockets.Subprotocol(ann)
            async with websockets.connect(url, subprotocols=[protocol]) as socket:
                assert socket.subprotocol == ann
                await asyncio.sleep(0.1)
                made = await post(client, bob, "over the socket")
                message = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
                assert (message["stream"], message["event"]) == (["user"], "update")
                assert json.loads(message["payload"])["id"] == made["id"]
            bad = base.replace("http", "ws") + "/api/v1/streaming?stream=user&access_token=nope"
            with pytest.raises(websockets.exceptions.InvalidStatus):
                async with websockets.connect(bad):
                    pass


async def test_hashtag_streams_name_tags_as_posts_store_them(settings: Settings) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            for bad, words in [("a-b", "not a hashtag"), ("%00", "contains"), ("", "required")]:
                response = await client.get(f"/api/v1/streaming/hashtag?tag={bad}")
                assert response.status_code == 422, bad
                assert words in response.json()["error"], response.text
            # Full-width letters and a leading # name the tag a post stores: "café".
            async with sse(base, "/api/v1/streaming/hashtag?tag=%23%EF%BC%A3af%C3%A9") as stream:
                made = await post(client, ann, "coffee #Café")
                assert (await stream.update())["id"] == made["id"]
            url = base.replace("http", "ws") + f"/api/v1/streaming?access_token={ann}"
            async with websockets.connect(url) as socket:
                for i in range(50):
                    tag = {"type": "subscribe", "stream": "hashtag", "tag": f"t{i}"}
                    await socket.send(json.dumps(tag))
                await socket.send(json.dumps({"type": "subscribe", "stream": "public"}))
                error = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
                assert error == {"error": "A socket holds at most 50 streams"}
