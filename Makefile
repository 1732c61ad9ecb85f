# The verbs of omsync. `make demo` and `make test` are all a newcomer needs; each builds the virtualenv itself.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# pytest puts each test folder on sys.path (helper modules beside the tests); mypy needs the same.
TEST_HELPER_PATH = $(shell find tests -mindepth 2 -type d -not -name __pycache__ -not -path '*/fixtures*' | tr '\n' ':')
# Folders with a conftest.py of their own are checked one by one (mypy sees one module per name).
CONFTEST_DIRS = $(shell find tests -mindepth 2 -name conftest.py -printf '%h\n' | sort)
EMPTY :=
SPACE := $(EMPTY) $(EMPTY)
CONFTEST_EXCLUDE = ^($(subst $(SPACE),|,$(strip $(CONFTEST_DIRS))))/
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= ap-southeast-1

.PHONY: venv lock lint fmt cfn infra unit integration test demo local bench chaos build deploy e2e clean

# The three distributions, editable: the runtime (the layer), the operator CLI and the workshop.
DISTRIBUTIONS := layers/omsync tools/ops tools/workshop

# uv (pinned in requirements-dev.txt) installs the pinned set: pip took 88 s of a fresh clone's make test
# (57 s of CPU), uv 4 s from its cache. Like pip with --no-compile, it leaves bytecode to first import (the tools
# import a small part of what they install). pip stays in the virtualenv for `make lock` and the layer's build.
UV_VERSION = $(shell sed -n 's/^uv==//p' requirements-dev.txt)
$(STAMP): requirements-dev.txt layers/omsync/requirements.txt $(addsuffix /pyproject.toml,$(DISTRIBUTIONS))
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-dev.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps $(addprefix -e ,$(DISTRIBUTIONS))
	touch $@

venv: $(STAMP)

lock: venv
	(echo "# Pinned from requirements-dev.in with pip freeze. Regenerate: make lock"; $(BIN)/pip freeze --exclude-editable) > requirements-dev.txt

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy --strict layers/omsync/omsync tools/ops/omsync_ops tools/workshop/omsync_workshop functions
	MYPYPATH="$(TEST_HELPER_PATH)" $(BIN)/mypy tests --exclude '$(CONFTEST_EXCLUDE)'
	for dir in $(CONFTEST_DIRS); do MYPYPATH="$(TEST_HELPER_PATH)" $(BIN)/mypy $$dir || exit 1; done

cfn: venv
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region $(AWS_DEFAULT_REGION)

# The report's test (tests/integration/flows/test_flows_deep_pass.py) renders its page in headless Chromium, Debian's
# package; CI runs as root, so this installs it once and is a no-op afterwards.
.PHONY: chromium
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

infra: venv
	$(BIN)/pytest -q tests/infrastructure $(PYTEST_ARGS)

unit: venv
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

integration: venv
	$(BIN)/pytest -q tests/integration $(PYTEST_ARGS)

# tests/e2e needs a deployed stack: `make e2e`, never part of `make test`.
# Three pytest workers on the two cores, each with its own moto server: a flow specification spends much of
# its time waiting on its local servers (queues settling, retries after a visibility timeout, a lease), so a
# third worker fills what two leave idle (on a fresh clone: 758 s for 1,277 tests, where two workers took
# 870 s for 1,147). A test file stays on one worker (--dist loadfile), so module fixtures such as the built
# layer are made once. Lint, types and template checks run beside the tests (about a minute of one core);
# make reports a failure of any of the three once all have finished.
TEST_WORKERS ?= 3
test: venv
	$(MAKE) --no-print-directory -j3 lint cfn pytest-all

.PHONY: pytest-all
pytest-all: venv chromium
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile tests --ignore=tests/e2e $(PYTEST_ARGS)

demo: venv
	$(BIN)/omsync demo

local: venv
	$(BIN)/omsync local up

# issue 21's table (README, "Benchmark"): each row RUNS times (default 3; about 25 minutes on a quiet 2-core
# machine, most of it row a's 20,000-order flash sale), medians and ranges in the terminal and bench.json.
# ROWS=a,e for some rows.
bench: venv
	$(BIN)/omsync bench $(if $(RUNS),--runs $(RUNS)) $(if $(ROWS),--rows $(ROWS))

# 5,000 order lives over two connections under every fault (README, "Chaos run"); ORDERS=N and SEED=S to change.
ORDERS ?= 5000
chaos: venv
	$(BIN)/omsync chaos --orders $(ORDERS) $(if $(SEED),--seed $(SEED))

# sam build needs an interpreter matching the template's Runtime (python3.13) on PATH; pyenv users get it
# through PYENV_VERSION, others through their own python3.13.
build: venv
	PYENV_VERSION=3.13.0 $(BIN)/sam build

deploy: build
	$(BIN)/sam deploy --config-env $(or $(ENV),dev)

# Smoke tests of a deployed stack: make e2e ENV=dev (samconfig.toml) or STACK=name; skipped when none is named.
# --confcutdir keeps tests/conftest.py (moto, fake credentials) out: they use the operator's own.
e2e: venv
	$(BIN)/pytest -q --confcutdir=tests/e2e tests/e2e $(if $(STACK),--stack $(STACK)) $(if $(ENV),--env $(ENV)) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache
