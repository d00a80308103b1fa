"""Search and hashtag timelines: /api/v2/search, /api/v1/accounts/search, /api/v1/timelines/tag."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
