"""Shared fixtures: the protocol's wire test vectors, a settable clock, and a test-only push client."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

VECTORS_ENV = "CUSTODIAN_PROTOCOL_VECTORS"
_DEFAULT_VECTORS = Path(__file__).resolve().parents[3] / "test" / "vectors" / "protocol" / "unlock-v1.json"


def load_vectors() -> dict[str, Any]:
    path = Path(os.environ.get(VECTORS_ENV) or _DEFAULT_VECTORS)
    if not path.is_file():
        # A missing prerequisite is a failure with a clear message, never a skip.
        pytest.fail(f"protocol test vectors not found at {path}; run from the repository or set {VECTORS_ENV}", pytrace=False)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    return load_vectors()


class Clock:
    """A clock the test sets; receivers read it as Unix seconds."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
