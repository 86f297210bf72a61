"""Shared test set-up: the repository's tools/ (RIE driver) on sys.path, sample events."""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import settings

# CI runs the same examples every time, so a red build is reproducible;
# locally each run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

EVENT_FILES = ["apigw_v1", "apigw_v2", "alb", "function_url"]
_REPORTS: list[tuple[str, str]] = []


@pytest.fixture
def report() -> Callable[[str, str], None]:
    """Add a titled section (sizes, timings) to the end of the pytest run's output."""
    return lambda title, text: _REPORTS.append((title, text))


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    for title, text in _REPORTS:
        terminalreporter.section(title)
        terminalreporter.write_line(text)


@pytest.fixture
def sample_event() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of events/<name>.json."""

    def load(name: str) -> dict[str, Any]:
        return copy.deepcopy(json.loads((ROOT / "events" / f"{name}.json").read_text()))

    return load
