"""What ships runs: each function's handler imports from its code, the built layer and boto3 alone.

The layer is built as `sam build` builds it (SAM's makefile builder runs `make --makefile
layers/omsync/Makefile build-OmsyncLayer` in a scratch folder with ARTIFACTS_DIR in the environment),
for this machine's platform and this interpreter's version instead of Lambda's arm64/cp313. boto3 is
installed apart, as the Lambda runtime provides it. Each handler is then imported in a fresh
`python -I -S` whose path holds only those folders and the standard library, with the environment
template.yaml gives the function plus what Lambda sets, so a dependency the dev virtualenv has and the
layer lacks fails here (DESIGN invariant 7).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omsync_workshop.template import ACCOUNT_ID, LocalResource, Resolver, load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
LAYER_MAKEFILE = ROOT / "layers" / "omsync" / "Makefile"
LAYER_TARGET = "build-OmsyncLayer"
REGION = "ap-southeast-1"
STACK = "omsync-dev"
# pip's platform tags for the machines Lambda runs on (`platform.machine()` → manylinux tag).
MANYLINUX = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64", "arm64": "manylinux2014_aarch64"}
FAILURE_TAIL_LINES = 25

# Run as `python -I -S -c CHILD <module> <attribute> <path>...`: imports the handler with exactly that
# path (plus the standard library), then reports whether it is callable and any module that was
# loaded from outside the allowed folders.
CHILD = """
import importlib, json, sys, sysconfig
module_name, attribute, *roots = sys.argv[1:]
stdlib = [sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")]
sys.path[:] = roots[:2] + [p for p in sys.path if p] + roots[2:]
module = importlib.import_module(module_name)
handler = getattr(module, attribute)
# A worker imports its flow on its first invocation (omsync.sync.worker): import it too, from the same path.
if callable(getattr(module, "use_case", None)):
    module.use_case()
# Where tracing is on (LAMBDA_TASK_ROOT below), the first invocation builds Powertools' Tracer: the X-Ray SDK.
observability = importlib.import_module("omsync.observability")
if observability.tracing_enabled():
    observability.tracer()
foreign = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and not any(module.__file__.startswith(root) for root in roots + stdlib)
)
print(json.dumps({"callable": callable(handler), "foreign": foreign, "path": sys.path}))
"""

# Run as `python -I -S -c EVERY_MODULE <layer> <boto3>`: imports every module of the omsync package, so
# an import inside a function body (run only on some invocations) cannot hide a missing dependency.
EVERY_MODULE = """
import importlib, pkgutil, sys
sys.path[:] = sys.argv[1:2] + [p for p in sys.path if p] + sys.argv[2:]
import omsync
names = [info.name for info in pkgutil.walk_packages(omsync.__path__, "omsync.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


@dataclass(frozen=True)
class Function:
    """One `AWS::Serverless::Function` of the template, as Lambda would load it."""

    logical_id: str
    code: Path
    module: str
    attribute: str
    environment: Mapping[str, str]


def deployed_resources(template: Mapping[str, Any]) -> dict[str, LocalResource]:
    """Every resource with a plausible deployed name, ARN and (for queues) URL, so `Ref`/`GetAtt` resolve."""
    resources = {}
    for logical_id, resource in template["Resources"].items():
        kind = str(resource["Type"])
        service = kind.split("::")[1].lower()
        name = f"{STACK}-{logical_id}"
        url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}" if kind == "AWS::SQS::Queue" else None
        arn = f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{name}"
        resources[logical_id] = LocalResource(logical_id, kind, name, arn, url=url)
    return resources


def lambda_environment(logical_id: str, memory: object) -> dict[str, str]:
    """What the Lambda service itself sets in every execution environment (python runtimes)."""
    name = f"{STACK}-{logical_id}"
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
    }


def template_functions() -> list[Function]:
    """Each function of template.yaml with its handler and its environment (Globals, then its own)."""
    template = load_template(TEMPLATE)
    resolver = Resolver(template, stack_name=STACK, region=REGION, resources=deployed_resources(template))
    defaults = template.get("Globals", {}).get("Function", {})
    functions = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**defaults, **resource["Properties"]}
        module, _, attribute = str(properties["Handler"]).rpartition(".")
        variables = {
            **resolver.resolve(defaults.get("Environment", {}).get("Variables", {})),
            **resolver.resolve(resource["Properties"].get("Environment", {}).get("Variables", {})),
        }
        environment = {
            **lambda_environment(logical_id, properties.get("MemorySize", 128)),
            **{key: str(value) for key, value in variables.items()},
            "_HANDLER": str(properties["Handler"]),
        }
        functions.append(Function(logical_id, ROOT / str(properties["CodeUri"]), module, attribute, environment))
    return functions


FUNCTIONS = template_functions()


def start(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start a build step with its output captured (stderr into stdout)."""
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finished(command: list[str], process: subprocess.Popen[str]) -> None:
    """Wait for a build step; on failure, fail the test with its output's tail."""
    output, _ = process.communicate()
    if process.returncode != 0:
        tail = "\n".join(output.splitlines()[-FAILURE_TAIL_LINES:])
        pytest.fail(f"{' '.join(command[:4])}… exited {process.returncode}:\n{tail}")


@dataclass(frozen=True)
class Runtime:
    """What Lambda puts on a function's path besides its code: the layer's `python/` folder and boto3."""

    layer: Path
    boto3: Path


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """The layer built by its Makefile target as `sam build` runs it, and boto3 as the runtime has it.

    boto3 and botocore are pip-installed at the versions requirements-dev.txt pins, into a folder of
    their own; the two builds run side by side (about half a minute on a quiet machine).
    """
    machine = platform.machine()
    if machine not in MANYLINUX:
        pytest.fail(f"no manylinux wheels for {machine}: Lambda runs x86_64 and arm64 only")
    built = Runtime(tmp_path_factory.mktemp("layer") / "python", tmp_path_factory.mktemp("runtime"))
    scratch = tmp_path_factory.mktemp("scratch")  # SAM's working directory: a copy of the source
    make = [
        "make",
        "--makefile",
        str(LAYER_MAKEFILE),
        LAYER_TARGET,
        f"LAYER_PLATFORM={MANYLINUX[machine]}",
        f"LAYER_PYTHON_VERSION={sys.version_info.major}.{sys.version_info.minor}",
        f"PYTHON={sys.executable}",
    ]
    pip = [
        *(sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check", "install", "--no-compile"),
        *("--target", str(built.boto3), "--constraint", str(ROOT / "requirements-dev.txt"), "boto3", "botocore"),
    ]
    # SAM passes ARTIFACTS_DIR in the environment, not as a make variable.
    layer_env = {**os.environ, "ARTIFACTS_DIR": str(built.layer.parent)}
    building_layer = start(make, cwd=scratch, env=layer_env)
    installing_boto3 = start(pip, cwd=ROOT, env=dict(os.environ))
    finished(make, building_layer)
    finished(pip, installing_boto3)
    return built


def import_handler(function: Function, runtime: Runtime) -> dict[str, Any]:
    """Import `function`'s handler in an isolated interpreter; fails the test with the child's stderr tail."""
    roots = [str(function.code), str(runtime.layer), str(runtime.boto3)]
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CHILD, function.module, function.attribute, *roots],
        capture_output=True,
        text=True,
        check=False,
        cwd=function.code,
        env=dict(function.environment),
        timeout=60,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-FAILURE_TAIL_LINES:])
        pytest.fail(f"{function.logical_id}: {function.module}.{function.attribute} does not import:\n{tail}")
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


def test_the_template_has_functions_to_check() -> None:
    assert FUNCTIONS, "template.yaml declares no AWS::Serverless::Function"
    for function in FUNCTIONS:
        assert (function.code / f"{function.module.replace('.', '/')}.py").is_file(), function


@pytest.mark.parametrize("function", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_each_handler_imports_from_its_code_the_layer_and_boto3_alone(function: Function, runtime: Runtime) -> None:
    report = import_handler(function, runtime)

    assert report["callable"] is True
    assert report["foreign"] == []  # nothing came from the dev virtualenv or elsewhere
    *allowed, last = report["path"]
    assert allowed[:2] == [str(function.code), str(runtime.layer)] and last == str(runtime.boto3)
    assert all(entry.startswith(sys.base_prefix) for entry in allowed[2:])  # the standard library


def test_every_module_of_the_layer_imports_with_the_layer_and_boto3_alone(runtime: Runtime) -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", EVERY_MODULE, str(runtime.layer), str(runtime.boto3)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(FUNCTIONS[0].environment),
        timeout=60,
    )

    assert done.returncode == 0, "\n".join(done.stderr.splitlines()[-FAILURE_TAIL_LINES:])
    # Every .py file is a module (an __init__.py its package) but the top package, imported first.
    assert int(done.stdout) == len(list((runtime.layer / "omsync").rglob("*.py"))) - 1


def test_a_handler_importing_what_the_layer_lacks_fails(tmp_path: Path, runtime: Runtime) -> None:
    """The check can fail: moto is in the dev virtualenv, not in the layer."""
    (tmp_path / "app.py").write_text("import omsync\nimport moto\n\ndef lambda_handler(event, context):\n    pass\n")
    function = Function("Probe", tmp_path, "app", "lambda_handler", FUNCTIONS[0].environment)

    with pytest.raises(
        pytest.fail.Exception, match=r"(?s)does not import:.*ModuleNotFoundError: No module named 'moto'"
    ):
        import_handler(function, runtime)


def package_files(package: Path) -> set[str]:
    """The files of a package tree, relative to it, without byte code."""
    return {
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_the_layer_holds_the_runtime_package_and_nothing_of_the_tools_or_the_runtime(runtime: Runtime) -> None:
    assert package_files(runtime.layer / "omsync") == package_files(ROOT / "layers" / "omsync" / "omsync")
    unwanted = ("omsync_", "moto", "boto3", "botocore", "s3transfer")  # the tools; what Lambda provides
    assert [p.name for p in runtime.layer.iterdir() if p.name.startswith(unwanted)] == []


# Run as `python -I -S -c OPERATOR_CLI <ops> <layer> <boto3> ARG...`: the `omsync` command as an operator
# installs it (omsync-ops beside the runtime), with no moto and no workshop anywhere on the path.
OPERATOR_CLI = """
import sys
sys.path[:] = sys.argv[1:4] + [p for p in sys.path if p]
sys.argv[1:4] = []
from omsync_ops.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def operator_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """omsync-ops pip-installed into a folder of its own, built from a copy of its source, with its own
    dependencies but not those the runtime brings (omsync itself: the layer; boto3: Lambda's runtime)."""
    source = tmp_path_factory.mktemp("ops-source") / "ops"
    shutil.copytree(ROOT / "tools" / "ops", source, ignore=shutil.ignore_patterns("*.egg-info", "build", "__pycache__"))
    declared = tomllib.loads((source / "pyproject.toml").read_text())["project"]["dependencies"]
    own = [d for d in declared if re.split(r"[<>=!~ \[]", d, maxsplit=1)[0].lower() not in {"omsync", "boto3"}]
    target = tmp_path_factory.mktemp("ops")
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check", "install", "--no-compile"]
    for command in ([*pip, "--no-deps", "--target", str(target), str(source)], [*pip, "--target", str(target), *own]):
        finished(command, start(command, cwd=source.parent, env=dict(os.environ)))
    return target


def run_operator_cli(operator_cli: Path, runtime: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    roots = [str(operator_cli), str(runtime.layer), str(runtime.boto3)]
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", OPERATOR_CLI, *roots, *args],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": REGION},
        timeout=60,
    )


def test_the_operator_cli_runs_without_moto_or_the_workshop(operator_cli: Path, runtime: Runtime) -> None:
    """An operator installs the runtime and omsync-ops alone: their commands are there, the workshop's
    are named with where they come from."""
    listed = run_operator_cli(operator_cli, runtime, "--help")
    assert listed.returncode == 0, listed.stderr
    assert all(command in listed.stdout for command in ("connection", "mapping", "settlement"))

    validated = run_operator_cli(
        operator_cli, runtime, "mapping", "validate", str(ROOT / "events" / "mapping.example.yaml")
    )
    assert validated.returncode == 0, validated.stderr

    demo = run_operator_cli(operator_cli, runtime, "demo")
    assert demo.returncode == 2
    assert demo.stderr.strip().splitlines() == [
        "omsync: error: `omsync demo` comes with the omsync-workshop package: "
        "pip install ./tools/workshop, or run `make venv` in a checkout"
    ]
