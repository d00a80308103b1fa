"""The OpenAPI document at /openapi.json: every operation of /api/v1, /api/v2 and /oauth
declares its parameters, bodies, answers and errors (``{"error": string}``, never FastAPI's
validation shape). Declaring them changes nothing of how the handlers read them.
(tests/api/test_fuzz.py checks the server against the document.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import auth, register

ENTITIES = (
    "Account",
    "CredentialAccount",
    "Status",
    "Context",
    "Relationship",
    "Token",
    "Application",
    "Instance",
    "InstanceV2",
    "Error",
)


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def query_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def body_fields(operation: dict[str, Any], media_type: str) -> dict[str, Any]:
    fields: dict[str, Any] = operation["requestBody"]["content"][media_type]["schema"]["properties"]
    return fields


def test_every_operation_is_under_the_api(document: dict[str, Any]) -> None:
    paths = list(document["paths"])
    assert len(paths) >= 20
    assert all(p.startswith(("/api/v1/", "/api/v2/", "/oauth/")) for p in paths), paths


def test_errors_are_ours_and_validation_errors_are_not_fastapis(
    document: dict[str, Any],
) -> None:
    assert "ValidationError" not in str(document)  # nor HTTPValidationError
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and list(error["properties"]) == ["error"]
    assert error["properties"]["error"]["type"] == "string"
    for (method, path), operation in operations(document).items():
        responses = operation["responses"]
        assert {"200", "422", "429"} <= set(responses), (method, path)
        for status, response in responses.items():
            schema = response["content"]["application/json"]["schema"]
            if status.startswith(("4", "5")):
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            else:
                assert "$ref" in str(schema), (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), (method, path)


def test_the_entities_are_documented(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(ENTITIES) <= set(schemas)
    status = schemas["Status"]
    assert {"id", "content", "account", "in_reply_to_id", "visibility", "created_at"} <= set(
        status["required"]
    )
    assert status["properties"]["account"] == {"$ref": "#/components/schemas/Account"}


def test_authentication_is_declared(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    ops = operations(document)
    for key in (
        ("GET", "/api/v1/timelines/home"),
        ("POST", "/api/v1/statuses"),
        ("GET", "/api/v1/accounts/verify_credentials"),
        ("POST", "/api/v1/accounts/{account_id}/follow"),
    ):
        assert ops[key]["security"] == [{"bearer": []}], key
        assert "401" in ops[key]["responses"], key
    assert ops[("GET", "/api/v1/timelines/public")]["security"] == [{"bearer": []}, {}]
    # A status is read with the caller's token when sent: a private one is theirs to see.
    assert ops[("GET", "/api/v1/statuses/{status_id}")]["security"] == [{"bearer": []}, {}]
    assert "security" not in ops[("GET", "/api/v1/accounts/lookup")]


def test_query_and_path_parameters(document: dict[str, Any]) -> None:
    ops = operations(document)
    paging = {"max_id", "since_id", "min_id", "limit"}
    for path in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/following",
        "/api/v1/accounts/{account_id}/statuses",
    ):
        assert query_names(ops[("GET", path)]) == paging, path
        assert "Link" in ops[("GET", path)]["responses"]["200"]["headers"]
    assert query_names(ops[("GET", "/api/v1/accounts/{account_id}/followers")]) == {
        "max_id",
        "limit",
    }
    (ids,) = ops[("GET", "/api/v1/accounts/relationships")]["parameters"]
    assert ids["name"] == "id[]" and ids["schema"]["type"] == "array"
    (acct,) = ops[("GET", "/api/v1/accounts/lookup")]["parameters"]
    assert acct["name"] == "acct" and acct["required"] is True
    (account_id,) = ops[("GET", "/api/v1/accounts/{account_id}")]["parameters"]
    assert account_id["in"] == "path" and account_id["schema"]["pattern"] == "^[1-9][0-9]{0,18}$"


def test_request_bodies_as_json_and_forms(document: dict[str, Any]) -> None:
    ops = operations(document)
    expected = {
        ("POST", "/api/v1/accounts"): {"username", "password"},
        ("PATCH", "/api/v1/accounts/update_credentials"): {"note"},
        ("POST", "/api/v1/statuses"): {"status", "in_reply_to_id", "visibility"},
        ("POST", "/api/v1/apps"): {"client_name", "redirect_uris", "website"},
        ("POST", "/oauth/token"): {"grant_type", "username", "password", "scope"},
        ("POST", "/oauth/revoke"): {"token"},
    }
    for key, fields in expected.items():
        for media_type in ("application/json", "application/x-www-form-urlencoded"):
            assert fields <= set(body_fields(ops[key], media_type)), (key, media_type)
    status = body_fields(ops[("POST", "/api/v1/statuses")], "application/json")
    assert status["status"]["maxLength"] == 200
    assert "public" in status["visibility"]["enum"]
    token = ops[("POST", "/oauth/token")]["requestBody"]["content"]["application/json"]
    # username and password only for the password grant (docs/oauth.md).
    assert token["schema"]["required"] == ["grant_type"]


async def test_the_declarations_do_not_change_how_parameters_are_read(
    client: httpx.AsyncClient,
) -> None:
    token, _ = await register(client, "reader")
    # Mastodon clients may send a body's fields in the query string: still read there.
    posted = await client.post("/api/v1/statuses?status=from+the+query", headers=auth(token))
    assert posted.status_code == 200, posted.text
    assert posted.json()["text"] == "from the query"
    # A malformed parameter gets our message, not FastAPI's validation error.
    bad = await client.get("/api/v1/timelines/public", params={"limit": "many"})
    assert bad.status_code == 422
    assert bad.json() == {"error": "limit must be a positive integer (at most 40 are served)"}
