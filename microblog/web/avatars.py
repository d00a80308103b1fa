"""Generated avatars (SVG), one per account, made here with no external service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
