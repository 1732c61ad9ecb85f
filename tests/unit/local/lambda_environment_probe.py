"""A handler module for tests/unit/local/test_execution_environments.py: it notes when two invocations overlap
in one loaded copy of it."""

from __future__ import annotations

import threading
import time
from typing import Any

in_use = threading.Event()
overlaps: list[str] = []


def handler(event: dict[str, Any], context: Any) -> str:
    if in_use.is_set():
        overlaps.append(event["id"])
    in_use.set()
    time.sleep(0.05)
    in_use.clear()
    return __name__
