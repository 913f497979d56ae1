"""pytest fixtures: `pytest_plugins = ["tests.fakeds.fixtures"]` in a conftest, or import `fake_ds` directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeDocServer


@pytest.fixture
def fake_ds() -> Iterator[FakeDocServer]:
    """A running fake Document Server with JWT on and test-speed retries; stopped after the test."""
    server = FakeDocServer(download_retry_delay=0.05, retry_factor=0.01, callback_timeout=10, hang_timeout=10)
    with server:
        yield server
