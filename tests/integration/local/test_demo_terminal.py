"""Specification: `omsync demo` shows its report and one progress line; the functions' logs and warnings go
to the log file it names. It plays the minimal scenario of events/scenarios/README.md, so that example stays true.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[3] / "events" / "scenarios" / "README.md"


def minimal_example() -> str:
    """The JSON block of the scenario format's documentation."""
    match = re.search(r"```json\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match is not None, "events/scenarios/README.md has no JSON example"
    return match.group(1)


def test_the_demo_prints_no_json_line_and_no_warning_and_logs_the_functions_to_a_file(tmp_path: Path) -> None:
    # Given the README's minimal scenario in a file of the user's
    scenario = tmp_path / "minimal.json"
    scenario.write_text(minimal_example(), encoding="utf-8")

    # When the demo plays it, every warning enabled, output to pipes (not a terminal)
    run = subprocess.run(
        [sys.executable, "-W", "default", "-m", "omsync_ops.cli", "demo", "--scenario-file", str(scenario)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # Then the books match, and the terminal has the report and the progress lines only
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Scenario minimal: 5 orders" in run.stdout
    assert "Books match the oracle" in run.stdout
    lines = (run.stdout + run.stderr).splitlines()
    assert [line for line in lines if line.lstrip().startswith("{")] == []
    assert [line for line in lines if "Warning" in line or "warn" in line.lower()] == []
    assert run.stderr.splitlines()[0].startswith("starting moto")
    assert all(" · " in line and line.endswith(" s") for line in run.stderr.splitlines()), run.stderr

    # And the functions' JSON logs are in the log file the report names
    logged = re.search(r"The functions' logs: (\S+)", run.stdout)
    assert logged is not None, run.stdout
    log = (tmp_path / logged.group(1)).read_text(encoding="utf-8")
    assert '"message":"webhook received"' in log and '"message":"batch converged"' in log
