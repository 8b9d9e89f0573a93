"""Fixtures of the messaging tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _notices_not_grouped() -> Iterator[None]:
    """Each test starts outside the grouping window of the notices (a counter in
    the cache, which outlives one test)."""
    keys = [f"message-notice-sent:{email}" for email in ("alice@exemple.fr", "bob@exemple.fr")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)
