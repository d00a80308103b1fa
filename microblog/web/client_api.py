"""What a Mastodon client calls on start: preferences, filters, lists, announcements, nodeinfo."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
