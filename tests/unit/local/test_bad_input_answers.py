"""Specification: `omsync scenario show` and `omsync demo`, given a bad scenario or mapping, answer in one or
two lines naming the problem and the fix, exit 2, and start nothing (no log file is even created)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from omsync_ops.cli import main

EVENTS = Path(__file__).resolve().parents[3] / "events"
MINIMAL = {
    "name": "minimal",
    "start": "2025-09-01T08:00:00+07:00",
    "warehouses": [{"id": "WW64AAV776CFF47E0001DEMO01"}],
    "products": [{"sku": "KAOS", "name": "Kaos", "price": 55500, "cost": 30000}],
    "stores": [{"key": "shopee", "shopId": "SH1", "name": "Toko", "channel": "SHOPEE_ID", "mix": {"orders": 1}}],
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def answer(*argv: str) -> str:
    """The one or two lines a bad input gets; asserts exit 2, nothing on stdout and nothing started."""
    status, out, err = run(*argv)
    assert (status, out) == (2, ""), err
    assert err.startswith("error: ") and 1 <= err.count("\n") <= 2, err
    assert not Path(".omsync").exists()
    return err


def write(name: str, content: object) -> str:
    Path(name).write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return name


@pytest.mark.parametrize("command", [("scenario", "show", "nosuch"), ("demo", "--scenario", "nosuch")])
def test_an_unknown_scenario_lists_the_known_ones(command: tuple[str, ...]) -> None:
    err = answer(*command)
    assert (
        err
        == "error: no scenario 'nosuch'; known: demo, drop30, flash-sale, returns-heavy (or give a scenario file's path)\n"
    )


def test_a_missing_scenario_file_is_named_as_given_never_as_name_json_json() -> None:
    assert answer("demo", "--scenario-file", "none.json") == "error: cannot read none.json: No such file or directory\n"
    assert answer("scenario", "show", "sub/none") == "error: cannot read sub/none: No such file or directory\n"


def test_a_scenario_file_that_is_not_json_names_the_line() -> None:
    err = answer("demo", "--scenario-file", write("bad.json", '{"name": "x",\n  "start": }'))
    assert err == "error: bad.json is not JSON: line 2, column 12: Expecting value\n"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s.pop("start"), "start: Field required"),
        (
            lambda s: s["stores"][0]["mix"].update(orders="many"),
            "stores[0].mix.orders: Input should be a valid integer",
        ),
        (lambda s: s["products"][0].update(price="abc"), "products[0].price: Input should be a valid decimal"),
        (lambda s: s["products"][0].update(openingStok=5), "products[0].openingStok: Extra inputs are not permitted"),
        (lambda s: s.update(start="2025-09-01T08:00:00"), "start: Input should have timezone info"),
        (lambda s: s.update(adjustments=[{"atHour": 1, "masterSku": "NOPE", "delta": 1}]), "adjustments: NOPE"),
        (lambda s: s.update(warehouses=[]), "warehouses: List should have at least 1 item"),
    ],
)
def test_a_scenario_file_of_the_wrong_shape_names_the_field(change: object, problem: str) -> None:
    spec = json.loads(json.dumps(MINIMAL))
    assert callable(change)
    change(spec)

    err = answer("demo", "--scenario-file", write("mine.json", spec))

    assert err.startswith("error: mine.json is not a valid scenario file: ") and problem in err, err


def test_the_minimal_file_itself_is_valid() -> None:
    status, out, err = run("scenario", "show", write("mine.json", MINIMAL))
    assert status == 0, err
    assert out.startswith("minimal (seed 0): 1 orders")


def test_a_missing_mapping_is_named() -> None:
    assert answer("demo", "--mapping", "none.yaml") == "error: cannot read none.yaml: No such file or directory\n"


def test_an_invalid_mapping_names_its_first_problem_by_line_and_the_command_that_lists_them_all() -> None:
    example = (EVENTS / "mapping.example.yaml").read_text(encoding="utf-8")
    broken = write(
        "mapping.yaml", example.replace('      commission: "6101"            # Beban Komisi Marketplace\n', "")
    )

    # The line named is that of the `accounts:` block the entry is missing from.
    accounts = example[: example.rindex("    accounts:", 0, example.index('      commission: "6101"'))].count("\n") + 1

    err = answer("demo", "--mapping", broken)

    assert err == (
        f"error: mapping.yaml is not a valid mapping: line {accounts}: "
        "stores.SH64AAV776CFF47E0001SHOPEE.accounts.commission: "
        "field required\n  omsync mapping validate mapping.yaml lists every problem with its line\n"
    )


def test_a_mapping_that_maps_none_of_the_scenarios_warehouses_says_where_to_add_one() -> None:
    err = answer("demo", "--mapping", str(EVENTS / "mapping.flash-sale.yaml"))
    assert "maps none of the scenario's warehouses (WW64AAV776CFF47E0001DEMO01)" in err


@pytest.mark.parametrize(
    "command",
    [
        ("sandbox", "accurate", "--port", "99999"),
        ("local", "up", "--port", "x"),
        ("bench", "--orders", "0"),
        ("scenario", "play", "demo", "--to", "http://127.0.0.1:9", "--ginee-port", "70000"),
    ],
)
def test_a_port_or_count_out_of_range_is_a_usage_error(command: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as exit_status:
        run(*command)
    assert exit_status.value.code == 2


@pytest.mark.parametrize(
    ("target", "says"),
    [("nofolder/journal.csv", "folder nofolder does not exist"), (".", "is a folder: name a CSV file")],
)
def test_a_journal_path_that_could_not_be_written_is_refused_before_the_play(target: str, says: str) -> None:
    """Given --journal-out in a missing folder or naming a folder, the demo refuses at once, not after minutes."""
    err = answer("demo", "--journal-out", target)
    assert says in err
