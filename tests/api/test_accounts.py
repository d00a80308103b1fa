"""Accounts through the JSON API: sign-up, tokens, profiles, follows and their counters."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import httpx

from tests.api.helpers import (
    PASSWORD,
    account,
    auth,
    follow,
    ids,
    post,
    register,
)

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def parse_iso(value: str) -> datetime:
    assert ISO_Z.fullmatch(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# Sign-up and tokens ------------------------------------------------------------------------


async def test_sign_up_returns_a_working_bearer_token(client: httpx.AsyncClient) -> None:
    before = int(time.time())
    response = await client.post(
        "/api/v1/accounts", data={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"access_token", "token_type", "scope", "created_at"}
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 20
    assert set(body["scope"].split()) >= {"read", "write"}
    assert isinstance(body["created_at"], int)
    assert before - 5 <= body["created_at"] <= int(time.time()) + 5

    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "alice"


async def test_sign_up_accepts_a_json_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/accounts", json={"username": "json_user", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert me.json()["username"] == "json_user"


async def test_each_sign_up_gets_its_own_account_and_token(client: httpx.AsyncClient) -> None:
    token_a, id_a = await register(client, "first")
    token_b, id_b = await register(client, "second")
    assert token_a != token_b
    assert id_a != id_b
    me_b = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token_b))
    assert me_b.json()["id"] == id_b
    assert me_b.json()["username"] == "second"


async def test_password_grant_issues_a_new_working_token(client: httpx.AsyncClient) -> None:
    first_token, my_id = await register(client, "bob")
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "bob", "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["created_at"], int)
    assert set(body["scope"].split()) >= {"read", "write"}
    assert body["access_token"] != first_token
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == my_id


async def test_password_grant_accepts_json_and_any_case_of_the_username(
    client: httpx.AsyncClient,
) -> None:
    _, my_id = await register(client, "CaseUser")
    response = await client.post(
        "/oauth/token",
        json={"grant_type": "password", "username": "caseuser", "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers=auth(response.json()["access_token"])
    )
    assert me.json()["id"] == my_id


async def test_revoked_token_is_refused_and_other_tokens_keep_working(
    client: httpx.AsyncClient,
) -> None:
    token, _ = await register(client, "carol")
    second = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "carol", "password": PASSWORD},
    )
    other = second.json()["access_token"]

    revoked = await client.post("/oauth/revoke", data={"token": token})
    assert revoked.status_code == 200
    assert revoked.json() == {}

    refused = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert refused.status_code == 401
    assert "error" in refused.json()
    still = await client.get("/api/v1/accounts/verify_credentials", headers=auth(other))
    assert still.status_code == 200


async def test_revoking_needs_a_token_value(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/revoke", data={})
    assert response.status_code == 422
    assert "error" in response.json()


# Profiles ------------------------------------------------------------------------------


async def test_verify_credentials_is_a_full_account_with_source(
    client: httpx.AsyncClient,
) -> None:
    token, my_id = await register(client, "dave")
    response = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert response.status_code == 200
    me = response.json()
    assert isinstance(me["id"], str) and me["id"].isdigit()
    assert me["id"] == my_id
    assert me["username"] == "dave"
    assert me["acct"] == "dave"
    assert me["display_name"] == "dave"
    assert me["note"] == ""
    assert me["followers_count"] == 0
    assert me["following_count"] == 0
    assert me["statuses_count"] == 0
    created = parse_iso(me["created_at"])
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)
    assert me["source"]["note"] == ""


async def test_account_by_id_matches_the_owner_view(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "erin")
    mine = (await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))).json()
    public = await client.get(f"/api/v1/accounts/{my_id}")
    assert public.status_code == 200
    seen = public.json()
    assert "source" not in seen
    for key in (
        "id",
        "username",
        "acct",
        "display_name",
        "note",
        "followers_count",
        "following_count",
        "statuses_count",
        "created_at",
    ):
        assert seen[key] == mine[key], key


async def test_lookup_finds_an_account_in_any_case(client: httpx.AsyncClient) -> None:
    _, frank_id = await register(client, "Frank")
    await register(client, "frankly")
    for acct in ("Frank", "frank", "FRANK", "@frank"):
        response = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert response.status_code == 200, acct
        found = response.json()
        assert found["id"] == frank_id
        assert found["username"] == "Frank"


async def test_lookup_needs_acct(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/accounts/lookup")
    assert response.status_code == 422
    assert "error" in response.json()


async def test_update_credentials_sets_the_note(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "gina")
    raw = 'I like <b>bold</b> & "quotes"'
    response = await client.patch(
        "/api/v1/accounts/update_credentials", data={"note": raw}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    me = response.json()
    escaped = "<p>I like &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;</p>"
    assert me["note"] == escaped
    assert me["source"]["note"] == raw
    # Stored: others see it, and so does the owner later.
    assert (await account(client, my_id))["note"] == escaped
    again = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert again.json()["source"]["note"] == raw


async def test_update_credentials_accepts_json_and_keeps_line_breaks(
    client: httpx.AsyncClient,
) -> None:
    token, _ = await register(client, "hank")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        json={"note": "line one\nline two"},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["note"] == "<p>line one<br>line two</p>"
    assert response.json()["source"]["note"] == "line one\nline two"


async def test_update_credentials_without_note_changes_nothing(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "ivy")
    await client.patch(
        "/api/v1/accounts/update_credentials", data={"note": "kept"}, headers=auth(token)
    )
    response = await client.patch(
        "/api/v1/accounts/update_credentials", data={}, headers=auth(token)
    )
    assert response.status_code == 200
    assert response.json()["source"]["note"] == "kept"
    assert (await account(client, my_id))["note"] == "<p>kept</p>"


async def test_update_credentials_rejects_a_note_over_500_characters(
    client: httpx.AsyncClient,
) -> None:
    token, my_id = await register(client, "jack")
    await client.patch(
        "/api/v1/accounts/update_credentials", data={"note": "before"}, headers=auth(token)
    )
    too_long = await client.patch(
        "/api/v1/accounts/update_credentials", data={"note": "x" * 501}, headers=auth(token)
    )
    assert too_long.status_code == 422
    assert "error" in too_long.json()
    assert (await account(client, my_id))["note"] == "<p>before</p>"
    at_limit = await client.patch(
        "/api/v1/accounts/update_credentials", data={"note": "y" * 500}, headers=auth(token)
    )
    assert at_limit.status_code == 200
    assert at_limit.json()["source"]["note"] == "y" * 500


async def test_update_credentials_rejects_a_note_that_is_not_text(
    client: httpx.AsyncClient,
) -> None:
    token, _ = await register(client, "kate")
    response = await client.patch(
        "/api/v1/accounts/update_credentials", json={"note": 42}, headers=auth(token)
    )
    assert response.status_code == 422
    assert "error" in response.json()


# Follows ---------------------------------------------------------------------------------


async def test_follow_and_unfollow_return_the_relationship_and_move_counters(
    client: httpx.AsyncClient,
) -> None:
    token_a, id_a = await register(client, "leo")
    _, id_b = await register(client, "mia")

    rel = await follow(client, token_a, id_b)
    assert rel["id"] == id_b
    assert rel["following"] is True
    assert rel["followed_by"] is False
    assert (await account(client, id_a))["following_count"] == 1
    assert (await account(client, id_a))["followers_count"] == 0
    assert (await account(client, id_b))["followers_count"] == 1
    assert (await account(client, id_b))["following_count"] == 0

    # Following again is fine and counts once.
    again = await follow(client, token_a, id_b)
    assert again["following"] is True
    assert (await account(client, id_a))["following_count"] == 1
    assert (await account(client, id_b))["followers_count"] == 1

    response = await client.post(f"/api/v1/accounts/{id_b}/unfollow", headers=auth(token_a))
    assert response.status_code == 200
    assert response.json()["id"] == id_b
    assert response.json()["following"] is False
    assert (await account(client, id_a))["following_count"] == 0
    assert (await account(client, id_b))["followers_count"] == 0

    # Unfollowing again is fine and does not go negative.
    response = await client.post(f"/api/v1/accounts/{id_b}/unfollow", headers=auth(token_a))
    assert response.status_code == 200
    assert response.json()["following"] is False
    assert (await account(client, id_a))["following_count"] == 0
    assert (await account(client, id_b))["followers_count"] == 0


async def test_concurrent_follows_count_once(client: httpx.AsyncClient) -> None:
    token_a, id_a = await register(client, "racer")
    _, id_b = await register(client, "target")
    url = f"/api/v1/accounts/{id_b}/follow"
    responses = await asyncio.gather(*(client.post(url, headers=auth(token_a)) for _ in range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    assert all(r.json()["following"] is True for r in responses)
    assert (await account(client, id_a))["following_count"] == 1
    assert (await account(client, id_b))["followers_count"] == 1
    followers = await client.get(f"/api/v1/accounts/{id_b}/followers")
    assert [a["id"] for a in followers.json()] == [id_a]


async def test_concurrent_sign_ups_with_one_name_create_one_account(
    client: httpx.AsyncClient,
) -> None:
    names = ["twin", "TWIN", "Twin"]
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/accounts", data={"username": n, "password": PASSWORD})
            for n in names
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 422, 422], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers=auth(winner.json()["access_token"])
    )
    found = await client.get("/api/v1/accounts/lookup", params={"acct": "twin"})
    assert found.json()["id"] == me.json()["id"]


async def test_follow_shows_followed_by_for_mutual_follows(client: httpx.AsyncClient) -> None:
    token_a, id_a = await register(client, "nina")
    token_b, id_b = await register(client, "omar")
    await follow(client, token_a, id_b)
    rel = await follow(client, token_b, id_a)
    assert rel["following"] is True
    assert rel["followed_by"] is True


async def test_followers_and_following_lists(client: httpx.AsyncClient) -> None:
    token_a, id_a = await register(client, "pia")
    token_b, id_b = await register(client, "quinn")
    _, id_c = await register(client, "rosa")
    await follow(client, token_a, id_c)
    await follow(client, token_b, id_c)
    await follow(client, token_a, id_b)

    followers = await client.get(f"/api/v1/accounts/{id_c}/followers")
    assert followers.status_code == 200
    assert sorted(a["id"] for a in followers.json()) == sorted([id_a, id_b])
    assert {a["username"] for a in followers.json()} == {"pia", "quinn"}

    following = await client.get(f"/api/v1/accounts/{id_a}/following")
    assert following.status_code == 200
    assert sorted(a["id"] for a in following.json()) == sorted([id_b, id_c])

    assert (await client.get(f"/api/v1/accounts/{id_a}/followers")).json() == []
    assert (await client.get(f"/api/v1/accounts/{id_c}/following")).json() == []

    await client.post(f"/api/v1/accounts/{id_c}/unfollow", headers=auth(token_a))
    followers = await client.get(f"/api/v1/accounts/{id_c}/followers")
    assert [a["id"] for a in followers.json()] == [id_b]


async def test_follower_list_pages_with_limit_and_link(client: httpx.AsyncClient) -> None:
    _, target = await register(client, "star")
    fans = []
    for name in ("fan_a", "fan_b", "fan_c"):
        token, fan_id = await register(client, name)
        await follow(client, token, target)
        fans.append(fan_id)
    first = await client.get(f"/api/v1/accounts/{target}/followers", params={"limit": 2})
    assert first.status_code == 200
    assert len(first.json()) == 2
    next_url = first.links["next"]["url"]
    second = await client.get(next_url)
    assert second.status_code == 200
    seen = [a["id"] for a in first.json()] + [a["id"] for a in second.json()]
    assert sorted(seen) == sorted(fans)
    assert len(set(seen)) == 3


async def test_relationships_for_several_ids(client: httpx.AsyncClient) -> None:
    token_a, id_a = await register(client, "sam")
    token_b, id_b = await register(client, "tia")
    _, id_c = await register(client, "uma")
    await follow(client, token_a, id_b)
    await follow(client, token_b, id_a)

    response = await client.get(
        "/api/v1/accounts/relationships",
        params=[("id[]", id_b), ("id[]", id_c)],
        headers=auth(token_a),
    )
    assert response.status_code == 200
    by_id = {r["id"]: r for r in response.json()}
    assert [r["id"] for r in response.json()] == [id_b, id_c]
    assert by_id[id_b]["following"] is True
    assert by_id[id_b]["followed_by"] is True
    assert by_id[id_c]["following"] is False
    assert by_id[id_c]["followed_by"] is False

    single = await client.get(
        "/api/v1/accounts/relationships", params={"id": id_a}, headers=auth(token_b)
    )
    assert single.status_code == 200
    assert single.json()[0]["id"] == id_a
    assert single.json()[0]["following"] is True


async def test_relationships_need_a_token(client: httpx.AsyncClient) -> None:
    _, some_id = await register(client, "vic")
    response = await client.get("/api/v1/accounts/relationships", params={"id[]": some_id})
    assert response.status_code == 401
    assert "error" in response.json()


# Counters and account statuses ----------------------------------------------------------


async def test_statuses_count_follows_posting_and_deleting(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "walt")
    first = await post(client, token, "one")
    await post(client, token, "two")
    assert (await account(client, my_id))["statuses_count"] == 2
    # The account embedded in a new status carries the fresh count too.
    third = await post(client, token, "three")
    assert third["account"]["statuses_count"] == 3

    deleted = await client.delete(f"/api/v1/statuses/{first['id']}", headers=auth(token))
    assert deleted.status_code == 200
    assert (await account(client, my_id))["statuses_count"] == 2
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert me.json()["statuses_count"] == 2


async def test_account_statuses_are_that_users_posts_newest_first(
    client: httpx.AsyncClient,
) -> None:
    token_a, id_a = await register(client, "xena")
    token_b, id_b = await register(client, "yuri")
    a1 = await post(client, token_a, "a1")
    b1 = await post(client, token_b, "b1")
    a2 = await post(client, token_a, "a2, a reply", in_reply_to_id=b1["id"])
    a3 = await post(client, token_a, "a3")

    response = await client.get(f"/api/v1/accounts/{id_a}/statuses")
    assert response.status_code == 200
    assert ids(response.json()) == [a3["id"], a2["id"], a1["id"]]
    assert all(s["account"]["id"] == id_a for s in response.json())

    others = await client.get(f"/api/v1/accounts/{id_b}/statuses")
    assert ids(others.json()) == [b1["id"]]


async def test_account_statuses_of_an_account_without_posts(client: httpx.AsyncClient) -> None:
    _, my_id = await register(client, "zed")
    response = await client.get(f"/api/v1/accounts/{my_id}/statuses")
    assert response.status_code == 200
    assert response.json() == []
    assert "link" not in response.headers
