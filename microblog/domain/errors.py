"""Errors the service raises; the web and API layers turn them into 4xx answers."""

from __future__ import annotations


class MicroblogError(Exception):
    """Base of the errors a user can cause; ``str(error)`` is safe to show them."""

    status = 400


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
