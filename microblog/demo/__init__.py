"""The demo of ``make run``: the seeded network brought to the present, with display names and
a few hours of conversations (``enliven``). See docs/demo.md."""

from __future__ import annotations

from microblog.demo.enliven import DEMO_USER_ID, DemoError, DemoReport, enliven

__all__ = ["DEMO_USER_ID", "DemoError", "DemoReport", "enliven"]
