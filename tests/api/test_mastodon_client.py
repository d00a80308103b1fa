"""Mastodon.py, a real Mastodon client library, against the app on a real HTTP server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError, MastodonUnauthorizedError

from tests.api.helpers import PASSWORD


def sign_up(base_url: str, name: str) -> str:
    """A new account's access token, through the API."""
    response = httpx.post(
        f"{base_url}/api/v1/accounts", data={"username": name, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def client_for(base_url: str, token: str) -> Mastodon:
    return Mastodon(
        access_token=token,
        api_base_url=base_url,
        version_check_mode="none",
        request_timeout=30,
        ratelimit_method="throw",
    )


def status_ids(page: Any) -> list[str]:
    return [str(s["id"]) for s in page]


def walk(api: Mastodon, first_page: Any) -> list[str]:
    """Every page from ``first_page`` on, through ``fetch_next``."""
    seen = status_ids(first_page)
    page = first_page
    for _ in range(50):
        page = api.fetch_next(page)
        if not page:
            return seen
        seen += status_ids(page)
    raise AssertionError("too many pages")


@pytest.fixture
def alice(live_server: str) -> Mastodon:
    return client_for(live_server, sign_up(live_server, "alice"))


def test_verify_credentials(alice: Mastodon) -> None:
    me = alice.account_verify_credentials()
    assert me["username"] == "alice"
    assert me["acct"] == "alice"
    assert me["statuses_count"] == 0
    assert me["source"]["note"] == ""
    assert me["created_at"].tzinfo is not None


def test_post_read_reply_context_and_delete(alice: Mastodon) -> None:
    me = alice.account_verify_credentials()
    root = alice.status_post("Hello from Mastodon.py")
    assert root["content"] == "<p>Hello from Mastodon.py</p>"
    assert root["in_reply_to_id"] is None
    assert str(root["account"]["id"]) == str(me["id"])

    reply = alice.status_post("a reply", in_reply_to_id=root["id"])
    assert str(reply["in_reply_to_id"]) == str(root["id"])
    assert str(reply["in_reply_to_account_id"]) == str(me["id"])
    # A status object works as the id, as Mastodon.py allows.
    nested = alice.status_post("a reply to the reply", in_reply_to_id=reply)
    assert str(nested["in_reply_to_id"]) == str(reply["id"])

    fetched = alice.status(root["id"])
    assert fetched["content"] == root["content"]
    assert fetched["replies_count"] == 1
    assert fetched["created_at"] == root["created_at"]

    context = alice.status_context(nested["id"])
    assert status_ids(context["ancestors"]) == [str(root["id"]), str(reply["id"])]
    assert context["descendants"] == []
    below = alice.status_context(root["id"])
    assert status_ids(below["descendants"]) == [str(reply["id"]), str(nested["id"])]

    deleted = alice.status_delete(nested["id"])
    assert str(deleted["id"]) == str(nested["id"])
    assert deleted["text"] == "a reply to the reply"
    with pytest.raises(MastodonNotFoundError):
        alice.status(nested["id"])
    assert alice.account_verify_credentials()["statuses_count"] == 2


def test_timelines_and_follows(live_server: str, alice: Mastodon) -> None:
    bob = client_for(live_server, sign_up(live_server, "bob"))
    bob_id = bob.account_verify_credentials()["id"]
    mine = alice.status_post("alice's post")
    theirs = bob.status_post("bob's post")
    bobs_reply = bob.status_post("bob replies", in_reply_to_id=mine["id"])

    assert status_ids(alice.timeline_home()) == [str(mine["id"])]
    relationship = alice.account_follow(bob_id)
    assert relationship["following"] is True
    assert alice.account(bob_id)["followers_count"] == 1

    home = status_ids(alice.timeline_home())
    assert home == [str(bobs_reply["id"]), str(theirs["id"]), str(mine["id"])]
    # The public timeline has top-level posts only, and needs no token.
    anonymous = Mastodon(api_base_url=live_server, version_check_mode="none")
    public = status_ids(anonymous.timeline_public())
    assert public == [str(theirs["id"]), str(mine["id"])]
    assert status_ids(alice.timeline_public()) == public

    statuses = status_ids(alice.account_statuses(bob_id))
    assert statuses == [str(bobs_reply["id"]), str(theirs["id"])]

    relationship = alice.account_unfollow(bob_id)
    assert relationship["following"] is False
    assert status_ids(alice.timeline_home()) == [str(mine["id"])]
    assert alice.account(bob_id)["followers_count"] == 0


def test_fetch_next_walks_the_link_header(live_server: str, alice: Mastodon) -> None:
    bob = client_for(live_server, sign_up(live_server, "bob"))
    bob_id = bob.account_verify_credentials()["id"]
    alice.account_follow(bob_id)
    created = []
    for i in range(7):
        created.append(str(alice.status_post(f"alice {i}")["id"]))
        created.append(str(bob.status_post(f"bob {i}")["id"]))
    newest_first = sorted(created, key=int, reverse=True)
    bobs = [i for i in newest_first if i in created[1::2]]

    assert walk(alice, alice.timeline_home(limit=3)) == newest_first
    assert walk(alice, alice.timeline_public(limit=4)) == newest_first
    assert walk(alice, alice.account_statuses(bob_id, limit=2)) == bobs

    first = alice.timeline_home(limit=3)
    newer = alice.status_post("after the first page")
    assert status_ids(alice.fetch_previous(first)) == [str(newer["id"])]


def test_profile_lookup_relationships_and_lists(live_server: str, alice: Mastodon) -> None:
    bob = client_for(live_server, sign_up(live_server, "bob"))
    alice_id = alice.me()["id"]
    bob_id = bob.me()["id"]

    updated = alice.account_update_credentials(note="likes <tags> & things")
    assert updated["note"] == "<p>likes &lt;tags&gt; &amp; things</p>"
    assert updated["source"]["note"] == "likes <tags> & things"
    assert bob.account(alice_id)["note"] == updated["note"]

    assert str(alice.account_lookup("BOB")["id"]) == str(bob_id)
    alice.account_follow(bob_id)
    (relationship,) = bob.account_relationships([alice_id])
    assert relationship["following"] is False
    assert relationship["followed_by"] is True
    assert [a["username"] for a in bob.account_followers(bob_id)] == ["alice"]
    assert [a["username"] for a in alice.account_following(alice_id)] == ["bob"]


def test_instance_v1(alice: Mastodon) -> None:
    info = alice.instance_v1()
    assert info["title"] == "microblog"
    assert info["configuration"]["statuses"]["max_characters"] == 200
    assert alice.retrieve_mastodon_version() == "4.0.0"


def test_instance(alice: Mastodon) -> None:
    assert alice.instance()["title"] == "microblog"


def test_errors_surface_as_mastodon_exceptions(live_server: str, alice: Mastodon) -> None:
    with pytest.raises(MastodonNotFoundError):
        alice.status("987654321")
    with pytest.raises(MastodonAPIError):
        alice.status_post("x" * 201)
    stranger = client_for(live_server, "not-a-token")
    with pytest.raises(MastodonUnauthorizedError):
        stranger.account_verify_credentials()
    with pytest.raises(MastodonUnauthorizedError):
        stranger.timeline_home()


def test_log_in_with_a_password(live_server: str) -> None:
    sign_up(live_server, "carol")
    api = Mastodon(api_base_url=live_server, version_check_mode="none")
    # Mastodon.py refuses OAuth over plain http (the server's metadata names http URLs).
    token = api.log_in(
        username="carol", password=PASSWORD, scopes=["read", "write", "follow"], allow_http=True
    )
    assert isinstance(token, str) and token
    assert api.account_verify_credentials()["username"] == "carol"
    assert client_for(live_server, token).account_verify_credentials()["username"] == "carol"


def test_log_in_with_default_scopes(live_server: str) -> None:
    sign_up(live_server, "dora")
    api = Mastodon(api_base_url=live_server, version_check_mode="none")
    token = api.log_in(username="dora", password=PASSWORD, allow_http=True)
    assert api.account_verify_credentials()["username"] == "dora"
    assert token


def test_log_in_with_a_wrong_password_fails(live_server: str) -> None:
    sign_up(live_server, "erin")
    api = Mastodon(api_base_url=live_server, version_check_mode="none")
    with pytest.raises(Exception, match="Invalid user name, password"):
        api.log_in(username="erin", password="wrong password", scopes=["read"], allow_http=True)


def test_create_app_registers_a_client(live_server: str) -> None:
    client_id, client_secret = Mastodon.create_app("microblog tests", api_base_url=live_server)
    assert client_id and client_secret
