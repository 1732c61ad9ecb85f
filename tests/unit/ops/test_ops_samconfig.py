"""Specification: `--env NAME` means the stack samconfig.toml deploys for that config-env, in its region."""

from __future__ import annotations

from pathlib import Path

import pytest

from omsync_ops.stacks import StackChoice, StackError, choose_stack, find_samconfig, samconfig_stack

PROJECT_SAMCONFIG = Path(__file__).resolve().parents[3] / "samconfig.toml"


@pytest.mark.parametrize(
    ("env", "stack"), [("dev", "omsync-dev"), ("staging", "omsync-staging"), ("prod", "omsync-prod")]
)
def test_each_config_env_of_the_project_names_its_stack_and_region(env: str, stack: str) -> None:
    assert samconfig_stack(env, PROJECT_SAMCONFIG) == StackChoice(stack, "ap-southeast-1", f"--env {env}")


def test_an_unknown_config_env_is_refused_naming_the_ones_there_are() -> None:
    with pytest.raises(StackError) as refused:
        samconfig_stack("qa", PROJECT_SAMCONFIG)
    assert str(refused.value) == (
        "--env qa: samconfig.toml has no such config-env (it has: default, dev, prod, staging); or give --stack NAME"
    )


def test_a_global_stack_name_serves_an_env_without_deploy_parameters(tmp_path: Path) -> None:
    config = tmp_path / "samconfig.toml"
    config.write_text('version = 0.1\n[qa.global.parameters]\nstack_name = "omsync-qa"\n')
    assert samconfig_stack("qa", config) == StackChoice("omsync-qa", None, "--env qa")


def test_a_samconfig_that_is_not_toml_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "samconfig.toml"
    config.write_text("[dev.deploy.parameters\n")
    with pytest.raises(StackError, match=r"^--env dev: samconfig.toml cannot be read \(.*\); fix it or give --stack"):
        samconfig_stack("dev", config)


def test_samconfig_is_found_in_the_folder_or_above(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text("version = 0.1\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_samconfig(tmp_path / "a" / "b") == tmp_path / "samconfig.toml"


def test_without_a_samconfig_env_asks_for_the_project_folder_or_a_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        StackError, match="no samconfig.toml here or above; run from the project folder or give --stack"
    ):
        samconfig_stack("dev")


def test_options_come_before_the_shell_and_a_stack_name_before_an_env() -> None:
    environ = {"OMSYNC_STACK": "from-shell", "OMSYNC_ENV": "dev"}
    assert choose_stack("given", "dev", environ=environ) == StackChoice("given", None, "--stack")
    assert choose_stack(None, None, environ=environ) == StackChoice("from-shell", None, "$OMSYNC_STACK")
    assert choose_stack(None, None, environ={}) is None
    assert choose_stack(None, None, environ={"OMSYNC_ENV": "prod"}, samconfig=PROJECT_SAMCONFIG) == StackChoice(
        "omsync-prod", "ap-southeast-1", "--env prod"
    )
