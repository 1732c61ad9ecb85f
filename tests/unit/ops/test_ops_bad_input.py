"""Specification: bad input met before AWS or Accurate answers is one line and exit status 2 (or a quiet
exit when the reader of stdout went away), and the reference check names kinds in plain English plurals.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omsync.accurate.errors import Transient
from omsync.config.mapping import load_mapping
from omsync.sync.references import check_references
from omsync_ops.cli import SIGPIPE_EXIT, main
from omsync_ops.connections import checked_url
from omsync_ops.errors import CommandError

EXAMPLE = Path(__file__).resolve().parents[3] / "events" / "mapping.example.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def aws_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Dummy keys and no profile or config file: what the AWS SDK reads comes from this test only."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "OMSYNC_ENV", "OMSYNC_STACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    return monkeypatch


def test_an_endpoint_url_that_is_not_a_url_is_one_line(aws_keys: pytest.MonkeyPatch) -> None:
    aws_keys.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    aws_keys.setenv("AWS_ENDPOINT_URL", "notaurl")

    status, out, err = run("connection", "show", "toko-rapi", "--stack", "omsync-dev")

    assert (status, out) == (2, "")
    assert err == (
        "error: AWS's endpoint URL is not a URL ('notaurl'), so stack omsync-dev (--stack) cannot be read: "
        "unset AWS_ENDPOINT_URL for AWS, or set it to http://127.0.0.1:PORT for the local stack\n"
    )


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:9"])
def test_an_empty_region_is_one_line_naming_it(aws_keys: pytest.MonkeyPatch, endpoint: str | None) -> None:
    aws_keys.setenv("AWS_DEFAULT_REGION", "")
    if endpoint is not None:
        aws_keys.setenv("AWS_ENDPOINT_URL", endpoint)

    status, out, err = run("connection", "show", "toko-rapi", "--stack", "omsync-dev")

    assert (status, out) == (2, "")
    assert err.startswith("error: the AWS region is empty (AWS_DEFAULT_REGION or AWS_REGION is set to '')")
    assert err.count("\n") == 1


@pytest.mark.parametrize("value", ["https://api.ginee.com", "http://127.0.0.1:3000/prod"])
def test_http_and_https_urls_with_a_host_pass(value: str) -> None:
    assert checked_url(value, "--ginee-url") == value


@pytest.mark.parametrize("value", ["notaurl", "api.ginee.com", "ftp://host", "https://", "http://[::1", ""])
def test_other_values_are_refused_naming_the_option(value: str) -> None:
    with pytest.raises(CommandError, match=r"^--ginee-url .* is not a URL: give http:// or https:// and a host"):
        checked_url(value, "--ginee-url")


class _Unreachable:
    def list(self, module: str, **_: object) -> list[dict[str, object]]:
        raise Transient(f"GET /accurate/api/{module}/list.do: ConnectionError")


def test_kinds_that_could_not_be_read_are_named_in_english_plurals() -> None:
    problems = check_references(load_mapping(EXAMPLE.read_text(encoding="utf-8")), _Unreachable())  # type: ignore[arg-type]

    text = "\n".join(problems)
    assert "could not read branches from Accurate" in text
    assert "could not read taxes from Accurate" in text
    assert "branchs" not in text and "taxs" not in text


def test_a_reader_that_closed_the_pipe_ends_the_command_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head`) is gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from omsync_ops.cli import main; sys.exit(main(sys.argv[1:]))",
             "mapping", "validate", str(EXAMPLE)],
            stdout=write_end, stderr=subprocess.PIPE, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)

    assert (done.returncode, done.stderr) == (SIGPIPE_EXIT, b"")
