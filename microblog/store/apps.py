"""OAuth applications, authorization codes, and the applications holding a user's tokens.
Only SHA-256 digests of client secrets and codes are stored."""

from __future__ import annotations

from psycopg.rows import DictRow

from microblog.domain.oauth import (
    CODE_LIFETIME_SECONDS,
    AuthorizationCode,
    AuthorizedApp,
    OAuthApp,
    digest,
)
from microblog.store.db import Conn, all_rows, execute, one
from microblog.store.queries import load

SQL = load("apps")


def to_app(row: DictRow) -> OAuthApp:
    """An application from its row (redirect URIs are kept one per line)."""
    return OAuthApp(
        id=row["id"],
        client_id=row["client_id"],
        secret_hash=bytes(row["client_secret_hash"]),
        name=row["name"],
        website=row["website"],
        redirect_uris=tuple(row["redirect_uris"].split("\n")),
        scopes=row["scopes"],
        created_at=row["created_at"],
    )


async def create(
    conn: Conn,
    client_id: str,
    client_secret: str,
    name: str,
    website: str | None,
    redirect_uris: tuple[str, ...],
    scopes: str,
) -> OAuthApp:
    """Store a new application."""
    params = {
        "client_id": client_id,
        "secret_hash": digest(client_secret),
        "name": name,
        "website": website,
        "redirect_uris": "\n".join(redirect_uris),
        "scopes": scopes,
    }
    row = await one(conn, SQL["create_app"], params)
    assert row is not None
    return to_app(row)


async def by_client_id(conn: Conn, client_id: str) -> OAuthApp | None:
    """The application of a client id, or None."""
    row = await one(conn, SQL["app_by_client_id"], {"client_id": client_id})
    return None if row is None else to_app(row)


async def by_id(conn: Conn, app_id: int) -> OAuthApp | None:
    """An application by id, or None."""
    row = await one(conn, SQL["app_by_id"], {"id": app_id})
    return None if row is None else to_app(row)


async def create_code(conn: Conn, code: str, grant: AuthorizationCode) -> None:
    """Store an authorization code, good for ``CODE_LIFETIME_SECONDS`` (expired ones go)."""
    await execute(conn, SQL["sweep_codes"], {})
    params = {
        "code_hash": digest(code),
        "app_id": grant.app_id,
        "user_id": grant.user_id,
        "redirect_uri": grant.redirect_uri,
        "scope": grant.scope,
        "code_challenge": grant.code_challenge,
        "code_challenge_method": grant.code_challenge_method,
        "lifetime": CODE_LIFETIME_SECONDS,
    }
    await execute(conn, SQL["create_code"], params)


async def take_code(conn: Conn, code: str, app_id: int) -> AuthorizationCode | None:
    """The grant of a code issued to this application, which is gone once read; None for
    an unknown or expired code, or one issued to another application."""
    row = await one(conn, SQL["take_code"], {"code_hash": digest(code), "app_id": app_id})
    if row is None or not row["live"]:
        return None
    return AuthorizationCode(
        app_id=row["app_id"],
        user_id=row["user_id"],
        redirect_uri=row["redirect_uri"],
        scope=row["scope"],
        code_challenge=row["code_challenge"],
        code_challenge_method=row["code_challenge_method"],
    )


async def authorized(conn: Conn, user_id: int) -> list[AuthorizedApp]:
    """The applications holding tokens of a user, most recently authorized first."""
    rows = await all_rows(conn, SQL["authorized_apps"], {"user_id": user_id})
    return [
        AuthorizedApp(
            id=row["id"],
            name=row["name"],
            website=row["website"],
            scopes=" ".join(dict.fromkeys(row["scopes"].split())),
            authorized_at=row["authorized_at"],
            tokens=row["tokens"],
        )
        for row in rows
    ]


async def revoke(conn: Conn, user_id: int, app_id: int) -> int:
    """Delete an application's tokens (and waiting codes) of a user; how many tokens."""
    await execute(conn, SQL["revoke_app_codes"], {"user_id": user_id, "app_id": app_id})
    return await execute(conn, SQL["revoke_app_tokens"], {"user_id": user_id, "app_id": app_id})
