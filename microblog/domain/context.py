"""What a request tells the layers below it without passing it through every call: who
is calling, and whether the request writes. Set by the web layer, read by the read router
(``store/replicas.py``). Context variables: each request (each task) has its own values."""

from __future__ import annotations

from contextvars import ContextVar

# The caller of the request being served, once the web layer knows them: reads that name
# no reader still wait for the caller's own writes.
ACTOR: ContextVar[int | None] = ContextVar("microblog_actor", default=None)
# Set for the whole of a request that writes: its reads (the answer it renders after its
# write) see that write, so they go to the primary.
PRIMARY_ONLY: ContextVar[bool] = ContextVar("microblog_primary_only", default=False)
