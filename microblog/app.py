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
from microblog.web import api, errors, oauth, pages

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """The microblog as an ASGI app; connections open in its lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
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

    app = FastAPI(
        title="microblog",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="microblog_session",
        max_age=14 * 24 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    static = resources.files("microblog.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(api.router)
    app.include_router(api.v2)
    app.include_router(oauth.router)
    app.include_router(pages.router)
    errors.install(app)
    return app


def app_from_env() -> FastAPI:
    """Factory for the server processes: settings from the environment."""
    settings = Settings.from_env()
    settings.check_for_serving()
    return create_app(settings)
