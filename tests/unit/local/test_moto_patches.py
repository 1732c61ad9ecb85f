"""Every patch of moto's internals refuses a moto it was not written for, and a process holds one level."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from omsync_workshop.moto_patches import (
    LEVEL_VARIABLE,
    MOTO_VERSION,
    MotoVersionError,
    PatchLevel,
    level_from_environment,
    require_moto_version,
)

PATCHES = {
    "moto_fidelity.install_sqs_queue_atomicity": "sqs_queue_atomicity",
    "moto_fidelity.install_dynamodb_serial_requests": "dynamodb_serial_requests",
    "moto_speedups.install_sqs_indexed_queues": "sqs_indexed_queues",
    "moto_speedups.install_dynamodb_transaction_rollback": "dynamodb_transaction_rollback",
    "moto_speedups.install_dynamodb_partition_query": "dynamodb_partition_query",
    "moto_speedups.install_dynamodb_json_bodies": "dynamodb_json_bodies",
    "moto_speedups.install_server_dispatch_cache": "server_dispatch_cache",
    "moto_expressions.install": "dynamodb_compiled_expressions",
}


def test_the_installed_moto_is_the_one_the_patches_were_written_for() -> None:
    require_moto_version("any patch")


@pytest.mark.parametrize("other", ["5.2.4", "5.2.6", "5.3.0", "6.0.0.dev1"])
def test_any_other_moto_version_is_refused_in_one_line_naming_the_patch_and_the_version_it_wants(other: str) -> None:
    with pytest.raises(MotoVersionError) as refused:
        require_moto_version("sqs_indexed_queues", other)

    message = str(refused.value)
    assert "\n" not in message
    assert "'sqs_indexed_queues'" in message
    assert f"written for moto {MOTO_VERSION}" in message
    assert f"refuses moto {other}" in message


def run_isolated(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter, where patching moto harms no other test."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )


def test_every_patch_refuses_another_moto_before_touching_it() -> None:
    checks = "\n".join(
        f"""
        try:
            {path.split(".")[0]}.{path.split(".")[1]}()
            print("installed {path}")
        except MotoVersionError as refused:
            print(refused)
        """
        for path in PATCHES
    )
    result = run_isolated(
        f"""
        import importlib.metadata
        released = importlib.metadata.version
        importlib.metadata.version = lambda name: "9.9.9" if name == "moto" else released(name)

        from moto.dynamodb.responses import DynamoHandler
        from moto.sqs.models import SQSBackend
        from omsync_workshop import moto_expressions, moto_fidelity, moto_speedups
        from omsync_workshop.moto_patches import MotoVersionError
        {textwrap.indent(textwrap.dedent(checks), "        ").strip()}
        print("untouched", SQSBackend.receive_message.__module__, DynamoHandler.call_action.__module__)
        """
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:-1] == [
        f"moto patch {name!r} was written for moto {MOTO_VERSION} and refuses moto 9.9.9: "
        f"install moto[server]=={MOTO_VERSION}, or re-read moto's source and re-run the patch's tests"
        for name in PATCHES.values()
    ]
    assert lines[-1] == "untouched moto.sqs.models moto.dynamodb.responses"


def test_a_process_holds_one_level_of_patches() -> None:
    result = run_isolated(
        """
        from omsync_workshop import moto_patches
        moto_patches.install(moto_patches.PatchLevel.FIDELITY)
        moto_patches.install(moto_patches.PatchLevel.FIDELITY)
        try:
            moto_patches.install(moto_patches.PatchLevel.SPEED)
        except RuntimeError as refused:
            print(refused)
        """
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "this process's moto is already patched to 'fidelity', not 'speed'"


def test_the_level_comes_from_the_environment_else_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LEVEL_VARIABLE, raising=False)
    assert level_from_environment() == PatchLevel.FIDELITY
    monkeypatch.setenv(LEVEL_VARIABLE, "Speed")
    assert level_from_environment() == PatchLevel.SPEED
    monkeypatch.setenv(LEVEL_VARIABLE, "fast")
    with pytest.raises(ValueError, match="OMSYNC_MOTO_PATCHES='fast' is not a moto patch level; use one of none"):
        level_from_environment()
