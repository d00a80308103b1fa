"""The pull strategy's choice of query plan per reader (pure)."""

from __future__ import annotations

import pytest

from microblog.feeds.pull import choose_plan


@pytest.mark.parametrize("authors", [0, 1, 5, 50])
def test_sparse_readers_merge(authors: int) -> None:
    assert choose_plan(authors, users_total=10_000, limit=21) == "merge"


@pytest.mark.parametrize("authors", [1_000, 2_505, 5_000])
def test_dense_readers_scan(authors: int) -> None:
    assert choose_plan(authors, users_total=10_000, limit=21) == "scan"


def test_threshold_grows_with_the_network() -> None:
    assert choose_plan(300, users_total=1_000, limit=21) == "scan"
    assert choose_plan(300, users_total=1_000_000, limit=21) == "merge"
