"""The chart's tests share the project's pinned helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsfeed.core.settings import load_settings
from tests.deploy.helm import helm_binary


@pytest.fixture(scope="session")
def helm() -> Path:
    return helm_binary(load_settings().cache_dir)
