"""Builds the ASGI application from settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources

import procrastinate
import redis.asyncio as aioredis
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from psycopg_pool import AsyncConnectionPool
from starlette.middleware.sessions import SessionMiddleware

from microblog import __version__
from microblog.feeds import make_engine
from microblog.jobs.queue import Jobs, make_queue
from microblog.jobs.tasks import worker_context
from microblog.service import Microblog
from microblog.settings import Settings
from microblog.store.db import Conn, make_pool
from microblog.web import api, errors, oauth, pages

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the app holds while it runs; on ``app.state.runtime``."""

    settings: Settings
    pool: AsyncConnectionPool[Conn]
    redis: aioredis.Redis
    queue: procrastinate.App
    blog: Microblog


def make_redis(settings: Settings) -> aioredis.Redis:
    """A Redis client that gives up fast: the cache is optional, PostgreSQL answers anyway."""
    return aioredis.Redis.from_url(
        settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25
    )


def create_app(settings: Settings) -> FastAPI:
    """The microblog as an ASGI app; connections open in its lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(settings.database_url, settings.db_pool_min, settings.db_pool_max)
        await pool.open()
        redis_client = make_redis(settings)
        queue = make_queue(settings)
        engine = make_engine(settings, pool, Jobs(queue), redis_client)
        async with queue.open_async():
            app.state.runtime = Runtime(
                settings, pool, redis_client, queue, Microblog(pool, engine)
            )
            worker = None
            if settings.run_worker:
                worker = asyncio.create_task(
                    queue.run_worker_async(
                        install_signal_handlers=False,
                        additional_context=worker_context(engine),
                        delete_jobs="successful",
                    ),
                    name="job-worker",
                )
            try:
                yield
            finally:
                if worker is not None:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
                await engine.close()
                await redis_client.aclose()
                await pool.close()

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
