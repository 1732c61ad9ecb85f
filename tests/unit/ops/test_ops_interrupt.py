"""Specification: Ctrl-C during a command that does not handle it (`omsync demo`) is one line, exit status 130."""

from __future__ import annotations

import argparse

import pytest

from omsync_ops import cli


def interrupted(args: argparse.Namespace) -> int:
    raise KeyboardInterrupt


def test_ctrl_c_is_one_line_and_exit_status_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a command that Ctrl-C interrupts
    parser = argparse.ArgumentParser(prog="omsync")
    parser.set_defaults(func=interrupted)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)

    # When it runs
    status = cli.main([])

    # Then the shell's status for SIGINT, and one line on stderr, no traceback
    captured = capsys.readouterr()
    assert status == 130
    assert captured.err == "interrupted\n"
    assert captured.out == ""
