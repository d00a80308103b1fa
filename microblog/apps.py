"""OAuth applications, authorization codes and the apps a user authorized (mixed into Microblog)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from psycopg_pool import AsyncConnectionPool

from microblog.credentials import user_changed
from microblog.domain import oauth, rules, scopes
from microblog.domain.errors import NotFound
from microblog.domain.oauth import AuthorizationCode, AuthorizedApp, OAuthApp
from microblog.domain.types import Conn
from microblog.store import apps


class AppVerbs:
    """OAuth applications and codes, and the apps a user authorized (mixed into Microblog)."""

    pool: AsyncConnectionPool[Conn]
    # A transaction that ends grants (``Microblog._ending``).
    _ending: Callable[..., AbstractAsyncContextManager[Conn]]

    async def register_app(
        self, name: object, website: object, redirect_uris: object, scope: object
    ) -> tuple[OAuthApp, str]:
        """Register a client application (``POST /api/v1/apps``): the application and its
        client secret, which is shown this once (only its SHA-256 is kept)."""
        checked_name = oauth.app_name(name)
        checked_website = oauth.website(website)
        uris = oauth.redirect_uris(redirect_uris)
        granted = scopes.parse(scope, scopes.DEFAULT)
        secret = secrets.token_urlsafe(32)
        async with self.pool.connection() as conn:
            app = await apps.create(
                conn,
                secrets.token_urlsafe(32),
                secret,
                checked_name,
                checked_website,
                uris,
                granted,
            )
        return app, secret

    async def oauth_app(self, client_id: str) -> OAuthApp | None:
        """The application of a client id, or None."""
        rules.storable(client_id, "client_id")
        async with self.pool.connection() as conn:
            return await apps.by_client_id(conn, client_id)

    async def app(self, app_id: int) -> OAuthApp:
        """An application by id; ``NotFound`` otherwise."""
        async with self.pool.connection() as conn:
            found = await apps.by_id(conn, app_id)
        if found is None:
            raise NotFound("No such application")
        return found

    async def issue_code(self, code: str, grant: AuthorizationCode) -> None:
        """Keep an authorization code the user granted (its SHA-256), for ten minutes."""
        async with self.pool.connection() as conn:
            await apps.create_code(conn, code, grant)

    async def redeem_code(self, code: str, app_id: int) -> AuthorizationCode | None:
        """What a code granted, once: it is gone when read. None for an unknown, used or
        expired code, or one another application presents."""
        rules.storable(code, "code")
        async with self.pool.connection() as conn:
            return await apps.take_code(conn, code, app_id)

    async def authorized_apps(self, user_id: int) -> list[AuthorizedApp]:
        """The applications holding tokens of a user, most recently authorized first."""
        async with self.pool.connection() as conn:
            return await apps.authorized(conn, user_id)

    async def revoke_app(self, user_id: int, app_id: int) -> int:
        """Take an application's access to the user's account away: its tokens of this user
        and its codes waiting to be exchanged go. How many tokens did."""
        async with self._ending(user_changed(user_id)) as conn:
            return await apps.revoke(conn, user_id, app_id)
