"""``DELETE /api/v1/accounts/me``: the password confirms it, and then the account, its posts,
its follows and its tokens are gone; replies others wrote stay; the name is free again."""

from __future__ import annotations

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonUnauthorizedError

from tests.api.helpers import PASSWORD, auth, follow, ids, post, register
from tests.api.test_mastodon_client import client_for, sign_up

ME = "/api/v1/accounts/me"


async def delete_me(
    client: httpx.AsyncClient, token: str | None, password: str | None, *, json: bool = False
) -> httpx.Response:
    """The deletion, with the password as a form field (or a JSON body)."""
    body = {} if password is None else {"password": password}
    headers = {} if token is None else auth(token)
    if json:
        return await client.request("DELETE", ME, json=body, headers=headers)
    return await client.request("DELETE", ME, data=body, headers=headers)


async def test_a_wrong_or_missing_password_deletes_nothing(client: httpx.AsyncClient) -> None:
    token, alice = await register(client, "alice")
    status = await post(client, token, "still here")
    for password, message in (
        ("not my password", "Wrong password: your account was not deleted"),
        ("", "Type your password to delete your account"),
        (None, "Type your password to delete your account"),
    ):
        response = await delete_me(client, token, password)
        assert response.status_code == 422, response.text
        assert response.json() == {"error": message}
    wrong_json = await delete_me(client, token, "nope nope nope", json=True)
    assert wrong_json.status_code == 422
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert me.status_code == 200
    assert me.json()["statuses_count"] == 1
    assert (await client.get(f"/api/v1/statuses/{status['id']}")).status_code == 200
    assert (await client.get(f"/api/v1/accounts/{alice}")).status_code == 200


async def test_without_a_valid_token_it_is_401(client: httpx.AsyncClient) -> None:
    response = await delete_me(client, None, PASSWORD)
    assert response.status_code == 401
    assert "error" in response.json()
    response = await delete_me(client, "not-a-token", PASSWORD)
    assert response.status_code == 401


async def test_the_right_password_deletes_the_account_and_everything_in_it(
    client: httpx.AsyncClient,
) -> None:
    token, alice = await register(client, "alice")
    bob_token, bob = await register(client, "bob")
    await follow(client, bob_token, alice)
    await follow(client, token, bob)
    hers = await post(client, token, "alice's post")
    answer = await post(client, bob_token, "bob answers alice", hers["id"])
    bobs = await post(client, bob_token, "bob's own")
    second = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
    )
    assert second.status_code == 200, second.text
    other_token = second.json()["access_token"]
    home = await client.get("/api/v1/timelines/home", headers=auth(bob_token))
    assert hers["id"] in ids(home.json())

    response = await delete_me(client, token, PASSWORD, json=True)
    assert response.status_code == 200, response.text
    gone = response.json()
    assert (gone["id"], gone["username"], gone["statuses_count"]) == (alice, "alice", 1)

    for dead in (token, other_token):  # every token of the account, not only this one
        me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(dead))
        assert me.status_code == 401
        assert (await post_with(client, dead)).status_code == 401
    assert (await client.get(f"/api/v1/accounts/{alice}")).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{hers['id']}")).status_code == 404
    looked_up = await client.get("/api/v1/accounts/lookup", params={"acct": "alice"})
    assert looked_up.status_code == 404
    home = await client.get("/api/v1/timelines/home", headers=auth(bob_token))
    assert ids(home.json()) == [bobs["id"], answer["id"]]
    public = await client.get("/api/v1/timelines/public")
    assert ids(public.json()) == [bobs["id"]]
    kept = await client.get(f"/api/v1/statuses/{answer['id']}")
    assert kept.status_code == 200
    assert kept.json()["in_reply_to_id"] == hers["id"]  # answering a deleted post
    context = await client.get(f"/api/v1/statuses/{answer['id']}/context")
    assert context.json() == {"ancestors": [], "descendants": []}
    bob_now = (await client.get(f"/api/v1/accounts/{bob}")).json()
    assert (bob_now["followers_count"], bob_now["following_count"]) == (0, 0)
    followers = await client.get(f"/api/v1/accounts/{bob}/followers")
    assert followers.json() == []

    # The name is free: someone new can take it, with nothing of the old account.
    new_token, new_id = await register(client, "alice")
    assert new_id != alice
    new_me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(new_token))
    assert new_me.json()["statuses_count"] == new_me.json()["followers_count"] == 0


async def post_with(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/statuses", data={"status": "x"}, headers=auth(token))


def test_mastodon_py_can_call_it(live_server: str) -> None:
    api: Mastodon = client_for(live_server, sign_up(live_server, "carol"))
    api.status_post("carol was here")
    request = getattr(api, "_Mastodon__api_request")  # no method for our endpoint  # noqa: B009
    with pytest.raises(MastodonAPIError) as refused:
        request("DELETE", ME, {"password": "wrong password here"})
    assert "Wrong password" in str(refused.value)
    assert api.account_verify_credentials()["username"] == "carol"
    gone = request("DELETE", ME, {"password": PASSWORD})
    assert gone["username"] == "carol"
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()
