"""Real clients find accounts, posts and hashtags: Mastodon.py (``search_v2``,
``account_search``, ``timeline_hashtag``) and toot's command line (``follow NAME``,
``unfollow NAME``, ``whois NAME``, ``following``, ``followers``, ``search``, ``timeline``), run
in process through toot's click entry point against the app on a real HTTP server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result
from mastodon import Mastodon

from microblog import passwords
from tests.api.helpers import PASSWORD
from tests.api.test_mastodon_client import client_for

Toot = Callable[..., Result]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ups with argon2's cheapest settings (the server runs in this process)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def sign_up(base_url: str, name: str) -> tuple[str, str]:
    """A new account's (access token, id), through the API."""
    response = httpx.post(
        f"{base_url}/api/v1/accounts", data={"username": name, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    me = httpx.get(
        f"{base_url}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
    )
    return token, str(me.json()["id"])


def following(base_url: str, token: str, account_id: str) -> bool:
    """Whether the token's user follows the account, as the server says."""
    response = httpx.get(
        f"{base_url}/api/v1/accounts/relationships",
        params={"id[]": account_id},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    (relationship,) = response.json()
    return bool(relationship["following"])


# Mastodon.py ------------------------------------------------------------------------------


def test_mastodon_py_search_v2(live_server: str) -> None:
    token, _ = sign_up(live_server, "seeker")
    sign_up(live_server, "finder")
    sign_up(live_server, "findus")
    api = client_for(live_server, token)
    api.status_post("Finding #Nemo in the deep blue sea")
    api.status_post("#nemo again, and #nemophila")

    found = api.search_v2("find")
    assert sorted(a["acct"] for a in found["accounts"]) == ["finder", "findus"]
    assert found["statuses"] == [] and found["hashtags"] == []

    found = api.search_v2("#nemo")
    assert [t["name"] for t in found["hashtags"]] == ["nemo", "nemophila"]
    assert found["hashtags"][0]["url"] == f"{live_server}/tags/nemo"
    assert [s["text"] for s in found["statuses"]] == [
        "#nemo again, and #nemophila",
        "Finding #Nemo in the deep blue sea",
    ]
    assert f'href="{live_server}/tags/nemo"' in found["statuses"][0]["content"]

    statuses = api.search_v2("deep sea", result_type="statuses")
    assert [s["text"] for s in statuses["statuses"]] == ["Finding #Nemo in the deep blue sea"]
    # Paging by offset, as Mastodon.py does it for one type of result.
    first = api.search_v2("nemo", result_type="statuses", limit=1)
    assert len(first["statuses"]) == 1
    second = api.fetch_next(first)
    assert second is not None and len(second["statuses"]) == 1
    assert second["statuses"][0]["id"] != first["statuses"][0]["id"]


def test_mastodon_py_account_search(live_server: str) -> None:
    token, _ = sign_up(live_server, "reader")
    _, pat_id = sign_up(live_server, "pat")
    sign_up(live_server, "patricia")
    sign_up(live_server, "patrick")
    api = client_for(live_server, token)
    found = api.account_search("PAT")
    assert found[0]["acct"] == "pat"
    assert sorted(a["acct"] for a in found) == ["pat", "patricia", "patrick"]
    api.account_follow(pat_id)
    assert [a["acct"] for a in api.account_search("pat", following=True)] == ["pat"]
    first = api.account_search("pat", limit=2)
    rest = api.fetch_next(first)
    assert rest is not None
    assert sorted(a["acct"] for a in [*first, *rest]) == ["pat", "patricia", "patrick"]


def test_mastodon_py_timeline_hashtag(live_server: str) -> None:
    token, _ = sign_up(live_server, "tagger")
    api = client_for(live_server, token)
    posted = [api.status_post(f"#Birds seen today: {i}")["id"] for i in range(5)]
    api.status_post("#birds, for followers only", visibility="private")
    page = api.timeline_hashtag("birds", limit=2)
    seen = [s["id"] for s in page]
    while page:
        page = api.fetch_next(page)
        seen += [s["id"] for s in page or []]
    assert seen == posted[::-1]
    newer = api.timeline_hashtag("Birds", min_id=posted[2])
    assert [s["id"] for s in newer] == posted[:2:-1]
    assert api.timeline_hashtag("birds", only_media=True) == []
    # Anyone may read it.
    anonymous = Mastodon(api_base_url=live_server, version_check_mode="none")
    assert len(anonymous.timeline_hashtag("birds")) == 5


# toot -------------------------------------------------------------------------------------


@pytest.fixture
def toot(live_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Toot:
    """Runs a toot command (its click entry point, in process) as "alice", whose account
    and token toot's configuration holds, in a directory of the test's own
    (``XDG_CONFIG_HOME``: toot reads ``$XDG_CONFIG_HOME/toot/config.json``)."""
    token, _ = sign_up(live_server, "alice")
    instance = urlsplit(live_server).netloc
    config = {
        "apps": {
            instance: {
                "instance": instance,
                "base_url": live_server,
                "client_id": "unused",
                "client_secret": "unused",
            }
        },
        "users": {
            f"alice@{instance}": {"instance": instance, "username": "alice", "access_token": token}
        },
        "active_user": f"alice@{instance}",
    }
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("TOOT_TESTING", raising=False)
    (tmp_path / "toot").mkdir()
    (tmp_path / "toot" / "config.json").write_text(json.dumps(config))
    from toot.cli import cli

    def run(*args: str) -> Result:
        result = CliRunner().invoke(cli, ["--no-color", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return run


def alice_token(tmp_path: Path) -> str:
    config: dict[str, Any] = json.loads((tmp_path / "toot" / "config.json").read_text())
    (user,) = config["users"].values()
    token: str = user["access_token"]
    return token


def test_toot_follow_whois_and_unfollow_by_name(
    toot: Toot, live_server: str, tmp_path: Path
) -> None:
    _, bob_id = sign_up(live_server, "bob")
    for name in ("bobby", "bobbie", "bo"):  # others starting alike, some more followed
        sign_up(live_server, name)
    token = alice_token(tmp_path)
    assert not following(live_server, token, bob_id)

    result = toot("follow", "bob")
    assert "You are now following bob" in result.output
    assert following(live_server, token, bob_id)

    whois = toot("whois", "@bob")
    assert "@bob" in whois.output
    assert f"{live_server}/@bob" in whois.output
    whois_json = json.loads(toot("whois", "--json", "bob").output)
    assert whois_json["id"] == bob_id and whois_json["acct"] == "bob"

    # name@this-host: toot strips its own instance, the server matches it too.
    host = urlsplit(live_server).netloc
    toot("unfollow", f"bob@{host}")
    assert not following(live_server, token, bob_id)
    toot("follow", "@BOB")
    assert following(live_server, token, bob_id)

    listed = toot("following")
    assert "@bob" in listed.output
    followers = toot("followers", "bob")
    assert "@alice" in followers.output


def test_toot_names_it_cannot_find(toot: Toot, live_server: str) -> None:
    from toot.cli import cli

    sign_up(live_server, "carol")
    for name in ("caro", "nobody@elsewhere.example"):
        result = CliRunner().invoke(cli, ["--no-color", "follow", name])
        assert result.exit_code != 0
        assert "Account not found" in result.output


def test_toot_timeline_search_and_tag_timeline(
    toot: Toot, live_server: str, tmp_path: Path
) -> None:
    bob, bob_id = sign_up(live_server, "bob")
    headers = {"Authorization": f"Bearer {bob}"}
    for text in ("hello from bob #toot", "second post from bob"):
        response = httpx.post(
            f"{live_server}/api/v1/statuses", data={"status": text}, headers=headers
        )
        assert response.status_code == 200, response.text
    toot("follow", "bob")
    assert following(live_server, alice_token(tmp_path), bob_id)

    home = toot("timeline", "--once")
    assert "second post from bob" in home.output
    assert "hello from bob" in home.output

    tagged = toot("timeline", "--tag", "toot", "--once")
    assert "hello from bob" in tagged.output
    assert "second post from bob" not in tagged.output
    anonymous = toot("timeline", "--tag", "toot", "--instance", live_server, "--once")
    assert "hello from bob" in anonymous.output

    found = toot("search", "bob")
    assert "@bob" in found.output
    assert "second post" not in found.output  # statuses are listed by id and url
    statuses = json.loads(toot("search", "--json", "--type", "statuses", "post").output)
    assert [s["text"] for s in statuses["statuses"]] == ["second post from bob"]
    hashtags = toot("search", "#to")
    assert "#toot" in hashtags.output
