"""Builds the ASGI application from settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from microblog import __version__
from microblog.runtime import open_runtime
from microblog.settings import Settings
from microblog.web import (
    api,
    avatars,
    client_api,
    edits_api,
    errors,
    floor,
    live_pages,
    oauth,
    pages,
    ratelimit,
    search_api,
    social_api,
    streaming,
)
from microblog.web.bodylimit import BodyLimit
from microblog.web.headers import SecurityHeaders
from microblog.web.read_your_writes import ReadYourWrites

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """The microblog as an ASGI app; connections open in its lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            app.state.limiter = ratelimit.open_limiter(settings, runtime.redis)
            worker = None
            if settings.run_worker:
                worker = asyncio.create_task(runtime.run_worker(), name="job-worker")
            try:
                yield
            finally:
                if worker is not None:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
                await app.state.limiter.aclose()

    settings.check_origin()
    settings.check_limits()
    # No docs page: Swagger UI would load its scripts from a CDN. /openapi.json remains.
    app = FastAPI(
        title="microblog",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    # Innermost: it sees the caller the endpoint's dependencies identified.
    app.add_middleware(ReadYourWrites)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="microblog_session",
        max_age=settings.session_days * 24 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    static = resources.files("microblog.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    # Search first: its /api/v1/accounts/search must win over api's /accounts/{account_id}.
    app.include_router(search_api.router, dependencies=ratelimit.API_LIMITS)
    app.include_router(api.router, dependencies=ratelimit.API_LIMITS)
    app.include_router(social_api.router, dependencies=ratelimit.API_LIMITS)
    app.include_router(edits_api.router, dependencies=ratelimit.API_LIMITS)
    app.include_router(api.v2, dependencies=ratelimit.API_LIMITS)
    app.include_router(oauth.router, dependencies=ratelimit.API_LIMITS)
    app.include_router(oauth.pages, dependencies=ratelimit.PAGE_LIMITS)
    app.include_router(client_api.router, dependencies=ratelimit.API_LIMITS)
    app.include_router(avatars.router)
    app.include_router(streaming.router, dependencies=ratelimit.API_LIMITS)
    app.include_router(streaming.sockets)
    app.include_router(pages.router, dependencies=ratelimit.PAGE_LIMITS)
    if settings.bench_floor:
        app.include_router(floor.router)
    app.include_router(live_pages.router, dependencies=ratelimit.PAGE_LIMITS)
    # Middleware added last runs first: security headers go on every answer, 500s included.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    errors.install(app)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    return app


def app_from_env() -> FastAPI:
    """Factory for the server processes: settings from the environment."""
    settings = Settings.from_env()
    settings.check_for_serving()
    return create_app(settings)
