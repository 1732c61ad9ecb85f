"""Specification: building the `omsync` command's parser creates none of the runtime's Powertools objects.

The demo points the functions' output at its log file before the functions run; a logger created earlier, while
the commands register (every entry point's module is imported), would write to the terminal instead and put log
lines before `omsync demo --json`'s JSON. A command imports the runtime's flows when it runs.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from omsync_ops.cli import build_parser
build_parser()
print(",".join(sorted(m for m in sys.modules if m == "omsync.observability" or m.startswith("aws_lambda_powertools.logging"))))
"""


def test_registering_every_command_imports_no_logger_of_the_runtime() -> None:
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    assert probe.stdout.strip() == ""
