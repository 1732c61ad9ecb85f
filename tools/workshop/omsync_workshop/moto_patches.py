"""Which patches of moto's private internals a moto server gets, and the version they were written for.

moto is the local stand-in for SQS and DynamoDB. Some of what omsync relies on, moto as released does not
do, and some of what it does is too slow for a flash sale; both are fixed by replacing moto's private
methods, which only holds for the moto they were read from. So every patch calls `require_moto_version`
before it touches anything, and a moto server gets one of three levels:

- ``none``: moto as released (the differential tests' reference);
- ``fidelity`` (``omsync local up``): `omsync_workshop.moto_fidelity`, what AWS guarantees and
  moto 5.2.5 does not under concurrent requests, `omsync_workshop.moto_fair_queues`, the fair queues
  (2025) moto 5.2.5 does not have, and `omsync_workshop.moto_partiql`, the PartiQL writes the Ledger batches
  (``BatchExecuteStatement``) as DynamoDB runs them;
- ``speed`` (the tests' server, ``omsync bench`` and ``make demo``): fidelity plus the speed-only patches
  (`omsync_workshop.moto_speedups`, `omsync_workshop.moto_expressions`). They let a 20,000-order drain
  measure omsync rather than moto's list scans and table copies, and they save about 30% of
  ``make demo`` and a sixth of the flow specifications' CPU (README, "Benchmark"); the differential tests
  compare a ``speed`` server with moto as released (``none``).

``OMSYNC_MOTO_PATCHES`` overrides the level of the tests' and the demo's servers, for measurement.
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
from enum import StrEnum

MOTO_VERSION = "5.2.5"
"""The moto every patch was read from and tested against (requirements-dev.txt pins it)."""

LEVEL_VARIABLE = "OMSYNC_MOTO_PATCHES"


class PatchLevel(StrEnum):
    """How much of moto a server's process patches."""

    NONE = "none"
    FIDELITY = "fidelity"
    SPEED = "speed"


class MotoVersionError(RuntimeError):
    """A patch was asked to install on a moto it was not written for."""


def require_moto_version(patch: str, installed: str | None = None) -> None:
    """Refuse, in one line, to install ``patch`` on any moto but `MOTO_VERSION`.

    ``installed`` defaults to the moto this interpreter would import.
    """
    found = installed if installed is not None else importlib.metadata.version("moto")
    if found != MOTO_VERSION:
        raise MotoVersionError(
            f"moto patch {patch!r} was written for moto {MOTO_VERSION} and refuses moto {found}: "
            f"install moto[server]=={MOTO_VERSION}, or re-read moto's source and re-run the patch's tests"
        )


def level_from_environment(default: PatchLevel = PatchLevel.FIDELITY) -> PatchLevel:
    """The level ``OMSYNC_MOTO_PATCHES`` names, else ``default``."""
    named = os.environ.get(LEVEL_VARIABLE, "").strip().lower()
    if not named:
        return default
    try:
        return PatchLevel(named)
    except ValueError:
        choices = ", ".join(level.value for level in PatchLevel)
        raise ValueError(f"{LEVEL_VARIABLE}={named!r} is not a moto patch level; use one of {choices}") from None


_installed: PatchLevel | None = None
_install_lock = threading.Lock()


def install(level: PatchLevel) -> None:
    """Patch this process's moto to ``level``; idempotent, and a process holds one level only.

    Patches are class attributes of moto's models: a process cannot hold two levels at once, so a second
    call with another level is refused (start a `omsync_workshop.moto_process.MotoProcess` instead).
    """
    global _installed
    with _install_lock:
        if _installed is not None:
            if _installed != level:
                raise RuntimeError(
                    f"this process's moto is already patched to '{_installed.value}', not '{level.value}'"
                )
            return
        if level == PatchLevel.SPEED:
            # Speed first: the fidelity locks then wrap the fast paths too, outermost.
            from omsync_workshop import moto_speedups

            moto_speedups.install()
        if level in (PatchLevel.FIDELITY, PatchLevel.SPEED):
            from omsync_workshop import moto_fair_queues, moto_fidelity, moto_partiql

            moto_fidelity.install()
            moto_fair_queues.install()
            moto_partiql.install()
        _installed = level


def installed_level() -> PatchLevel | None:
    """The level `install` put in this process, or None."""
    return _installed
