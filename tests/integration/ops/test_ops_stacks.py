"""Specification: the operator CLI finds a stack by name, and says in one line what to do when it cannot.

The stack is the embedded one registered in moto (over HTTP) as CloudFormation and Lambda describe a
deployed stack; nothing here sets LEDGER_TABLE or a queue URL by hand.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from omsync.config.settings import Settings
from omsync_ops.cli import main
from omsync_workshop.cloudformation import register_stack
from omsync_workshop.stack import LocalStack

SAMPLES = Path(__file__).resolve().parents[3] / "events" / "webhooks"
URL = re.compile(r"https?://\S+")
SETTINGS_VARIABLES = Settings.variables()
CREATE = (
    "connection", "create", "Toko Rapi", "--id", "toko-rapi", "--ginee-url", "https://api.ginee.com",
    "--ginee-access-key", "ginee-access", "--ginee-secret-key", "ginee-secret", "--skip-check",
)  # fmt: skip


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def post_order(url: str) -> int:
    return requests.post(url, data=(SAMPLES / "order-paid.json").read_bytes(), timeout=10).status_code


@pytest.fixture
def samconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder whose samconfig.toml deploys config-env `dev` as the local stack's name."""
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[dev.deploy.parameters]\nstack_name = "omsync-local"\nregion = "ap-southeast-1"\n'
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings variable and no stack named in the environment: only what reaches AWS."""
    for name in (*SETTINGS_VARIABLES, "OMSYNC_STACK", "OMSYNC_ENV"):
        monkeypatch.delenv(name, raising=False)


def test_a_fresh_shell_with_only_aws_access_creates_a_connection_with_env_dev(
    deployed_stack: LocalStack, samconfig: Path
) -> None:
    # A new process: what a second terminal has after `omsync local up`'s line, and nothing else.
    environment = {"PATH": os.environ["PATH"], "HOME": str(samconfig), **deployed_stack.operator_environment()}
    del environment["OMSYNC_STACK"]
    answer = subprocess.run(
        [sys.executable, "-m", "omsync_ops.cli", *CREATE, "--env", "dev"],
        cwd=samconfig,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert answer.returncode == 0, answer.stderr
    url = URL.findall(answer.stdout)[-1]
    assert url.startswith(f"{deployed_stack.webhook_base_url}/toko-rapi/")
    assert post_order(url) == 200


def test_the_line_local_up_prints_names_the_stack_for_every_command(
    deployed_stack: LocalStack, bare_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in deployed_stack.operator_environment().items():
        monkeypatch.setenv(name, value)

    status, out, err = run(*CREATE)

    assert (status, err) == (0, ""), err
    assert post_order(URL.findall(out)[-1]) == 200
    assert run("connection", "show", "toko-rapi")[1].startswith("id:             toko-rapi\n")
    assert deployed_stack.operator_command().startswith("export AWS_ENDPOINT_URL=http://127.0.0.1:")


def test_stack_takes_the_functions_environment_over_stale_variables(
    deployed_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_TABLE", "a-table-of-another-stack")

    status, out, err = run(*CREATE, "--stack", "omsync-local")

    assert (status, err) == (0, "")
    assert os.environ["LEDGER_TABLE"] == deployed_stack.resources["LedgerTable"].name
    assert post_order(URL.findall(out)[-1]) == 200


def one_line_refusal(argv: tuple[str, ...]) -> str:
    status, out, err = run(*argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "Traceback" not in err and "testing" not in err
    return err


@pytest.mark.usefixtures("deployed_stack")
def test_an_unknown_stack_says_to_deploy_it_or_name_another() -> None:
    err = one_line_refusal((*CREATE, "--stack", "omsync-nosuch"))
    assert err == (
        "error: no stack omsync-nosuch (--stack) in this account and region: deploy it (make deploy ENV=dev) "
        "or name another with --env or --stack\n"
    )


@pytest.mark.usefixtures("deployed_stack", "samconfig")
def test_a_config_env_samconfig_lacks_names_the_ones_it_has() -> None:
    err = one_line_refusal((*CREATE, "--env", "staging"))
    assert err == "error: --env staging: samconfig.toml has no such config-env (it has: dev); or give --stack NAME\n"


@pytest.mark.usefixtures("deployed_stack")
def test_missing_credentials_say_how_to_get_some(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    err = one_line_refusal((*CREATE, "--stack", "omsync-local"))
    assert err.startswith("error: no AWS credentials to read stack omsync-local (--stack): run `aws configure`")


@pytest.mark.usefixtures("deployed_stack")
def test_an_unreachable_endpoint_says_which_and_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens

    err = one_line_refusal((*CREATE, "--stack", "omsync-local"))
    assert err.startswith("error: cannot reach AWS at http://127.0.0.1:9")
    assert "is `omsync local up` still running?" in err


def test_no_stack_named_and_no_environment_says_how_to_name_one(
    deployed_stack: LocalStack, bare_environment: None
) -> None:
    err = one_line_refusal(("mapping", "show", "--connection", "toko-rapi"))
    assert err.startswith("error: name the stack: --env dev|staging|prod (samconfig.toml) or --stack NAME")


def test_a_stack_whose_functions_lack_omsync_settings_is_not_taken_for_one(deployed_stack: LocalStack) -> None:
    register_stack(deployed_stack.target, "someone-elses", {}, {"WebhookUrlBase": "https://example.invalid"})

    err = one_line_refusal(("mapping", "show", "--connection", "c", "--stack", "someone-elses"))
    assert "is not an omsync stack: its functions do not set STAGE, LEDGER_TABLE" in err
