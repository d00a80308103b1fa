"""Errors the service raises; the web and API layers turn them into 4xx answers (503 for Busy)."""

from __future__ import annotations


class MicroblogError(Exception):
    """Base of the errors a user can cause; ``str(error)`` is safe to show them."""

    status = 400

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the message (``Retry-After``, say)."""
        return {}


class Invalid(MicroblogError):
    """Input that breaks a rule (too long, empty, malformed)."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(MicroblogError):
    """No such user or post (or not visible to this reader)."""

    status = 404


class Forbidden(MicroblogError):
    """The action is not the reader's to take."""

    status = 403


class Unauthenticated(MicroblogError):
    """The action needs a logged-in user."""

    status = 401


class RateLimited(MicroblogError):
    """Too many requests of one kind in a time window; more pass after ``retry_after`` s."""

    status = 429

    def __init__(self, message: str, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self._headers = {"Retry-After": str(retry_after), **headers}

    @property
    def headers(self) -> dict[str, str]:
        return self._headers


class Busy(MicroblogError):
    """The server is at capacity for this kind of work; retry after ``retry_after`` s."""

    status = 503

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
