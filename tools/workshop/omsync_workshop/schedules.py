"""Scheduled functions (`Type: Schedule` and `Type: ScheduleV2` events), fired on demand or on an interval.

EventBridge rules (`Schedule`) deliver the "Scheduled Event" envelope unless the event sets `Input`;
EventBridge Scheduler (`ScheduleV2`) delivers `Input` (or `{}`). Locally the expression is not
evaluated: `fire()` runs every schedule now, and the ticker runs them all every N seconds, so a
"rate(1 day)" job can be exercised in a demo. Disabled schedules are fired too unless asked not to.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from omsync_workshop.lambdas import FunctionRunner, FunctionSpec
from omsync_workshop.template import ACCOUNT_ID

# Not omsync.observability: its Powertools objects must be built after the functions' environment is set.
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleSpec:
    """One scheduled event of a function."""

    function: str
    event: str
    kind: str
    expression: str
    input: str | None
    enabled: bool


@dataclass(frozen=True)
class FiredSchedule:
    """The outcome of firing one schedule."""

    function: str
    event: str
    ok: bool
    result: Any = None
    error: str | None = None


def schedule_specs(specs: Iterable[FunctionSpec]) -> list[ScheduleSpec]:
    """Every `Schedule`/`ScheduleV2` event of the functions."""
    schedules = []
    for spec in specs:
        for name, event in spec.events.items():
            kind = str(event.get("Type"))
            if kind not in ("Schedule", "ScheduleV2"):
                continue
            properties = event.get("Properties") or {}
            state = str(properties.get("State", "ENABLED")).upper()
            enabled = state == "ENABLED" and str(properties.get("Enabled", True)).lower() != "false"
            raw_input = properties.get("Input")
            schedules.append(
                ScheduleSpec(
                    function=spec.logical_id,
                    event=name,
                    kind=kind,
                    expression=str(properties.get("Schedule") or properties.get("ScheduleExpression") or ""),
                    input=None if raw_input is None else str(raw_input),
                    enabled=enabled,
                )
            )
    return schedules


def schedule_event(schedule: ScheduleSpec, region: str, now: datetime | None = None) -> Any:
    """The event the function receives when this schedule fires."""
    if schedule.input is not None:
        return json.loads(schedule.input)
    if schedule.kind == "ScheduleV2":
        return {}
    moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": moment,
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{schedule.function}{schedule.event}"],
        "detail": {},
    }


class Scheduler:
    """Fires the template's schedules by invoking their functions in-process."""

    def __init__(self, schedules: list[ScheduleSpec], runner: FunctionRunner, region: str) -> None:
        self.schedules = schedules
        self.runner = runner
        self.region = region
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fire(self, *, include_disabled: bool = True) -> list[FiredSchedule]:
        """Invoke every (enabled, unless `include_disabled`) schedule once, now."""
        fired = []
        for schedule in self.schedules:
            if not (schedule.enabled or include_disabled):
                continue
            try:
                result = self.runner.invoke(schedule.function, schedule_event(schedule, self.region))
            except Exception as error:
                logger.exception("local schedule failed", extra={"function": schedule.function})
                fired.append(FiredSchedule(schedule.function, schedule.event, ok=False, error=repr(error)))
            else:
                fired.append(FiredSchedule(schedule.function, schedule.event, ok=True, result=result))
        return fired

    def start(self, interval_seconds: float) -> None:
        """Fire every schedule every `interval_seconds` in a background thread."""
        self._stop.clear()

        def tick() -> None:
            while not self._stop.wait(interval_seconds):
                self.fire()

        self._thread = threading.Thread(target=tick, name="local-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the interval firing."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
