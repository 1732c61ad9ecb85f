"""Specification: mapping versions in the Ledger (moto over HTTP) and `omsync mapping apply` against Accurate.

The reference check asks Accurate for its master tables (glaccount, branch, warehouse, tax, unit lists)
and filters customers and vendors on `no`.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from omsync.config.mapping import load_mapping
from omsync.ledger import credentials
from omsync.ledger.mappings import MappingRepository, VersionTaken
from omsync_ops.cli import main
from omsync_workshop.accurate.server import AccurateSandbox
from omsync_workshop.aws import LocalResources

EXAMPLE = Path(__file__).resolve().parents[3] / "events" / "mapping.example.yaml"


@pytest.fixture
def ledger(aws: LocalResources) -> Iterator[LocalResources]:
    credentials.reset()
    yield aws
    credentials.reset()


@pytest.fixture
def sandbox() -> Iterator[AccurateSandbox]:
    server = AccurateSandbox(api_token="aat.sandbox.token", signature_secret="rahasia").start()
    yield server
    server.stop()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


def example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_applying_a_mapping_creates_version_1_and_current_returns_it(ledger: LocalResources) -> None:
    mapping = load_mapping(example()).mapping

    applied = MappingRepository().apply("toko-rapi", mapping, example())

    assert (applied.version, applied.created) == (1, True)
    assert MappingRepository().current("toko-rapi") == (1, mapping)


def test_reapplying_an_identical_mapping_creates_no_version(ledger: LocalResources) -> None:
    mapping = load_mapping(example()).mapping
    MappingRepository().apply("toko-rapi", mapping, example())

    again = MappingRepository().apply("toko-rapi", mapping, example() + "\n# only a comment changed\n")

    assert (again.version, again.created) == (1, False)
    assert [v.version for v in MappingRepository().history("toko-rapi")] == [1]


def test_a_changed_mapping_gets_the_next_version_and_history_keeps_both(ledger: LocalResources) -> None:
    first = load_mapping(example())
    changed_text = example().replace("number_prefix: LZ-", "number_prefix: LZD-")
    changed = load_mapping(changed_text)
    repository = MappingRepository()
    repository.apply("toko-rapi", first.mapping, example())

    applied = repository.apply("toko-rapi", changed.mapping, changed_text)

    assert applied.version == 2
    history = repository.history("toko-rapi")
    assert [(v.version, v.mapping) for v in history] == [(1, first.mapping), (2, changed.mapping)]
    assert history[1].source_yaml == changed_text
    assert repository.current("toko-rapi") == (2, changed.mapping)
    assert repository.current_version("toko-rapi") == 2


def test_two_writers_cannot_create_the_same_version(ledger: LocalResources) -> None:
    mapping = load_mapping(example()).mapping
    MappingRepository().put("toko-rapi", 1, mapping, example())

    with pytest.raises(VersionTaken):
        MappingRepository().put("toko-rapi", 1, mapping, example())


def test_versions_of_one_connection_are_not_another_ones(ledger: LocalResources) -> None:
    MappingRepository().apply("toko-a", load_mapping(example()).mapping, example())

    assert MappingRepository().current("toko-b") is None
    assert MappingRepository().current_version("toko-b") == 0


def test_validate_of_a_missing_file_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    status, output = run("mapping", "validate", str(tmp_path / "nosuch.yaml"))

    assert status == 2
    assert output == f"error: cannot read {tmp_path / 'nosuch.yaml'}: No such file or directory\n"


def test_validate_reports_errors_with_their_line_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "mapping.yaml"
    text = example()
    # The error names the line of the `accounts:` block the entry is missing from.
    accounts_line = text[: text.rindex("    accounts:", 0, text.index('      commission: "6101"'))].count("\n") + 1
    broken.write_text(text.replace('      commission: "6101"            # Beban Komisi Marketplace\n', ""))

    status, output = run("mapping", "validate", str(broken))

    assert status == 2
    assert f"line {accounts_line}: stores.SH64AAV776CFF47E0001SHOPEE.accounts.commission: field required" in output


def test_validate_accepts_the_example() -> None:
    status, output = run("mapping", "validate", str(EXAMPLE))

    assert status == 0
    assert "3 stores" in output


def test_show_prints_the_stored_version_as_yaml_with_its_hash(ledger: LocalResources) -> None:
    loaded = load_mapping(example())
    applied = MappingRepository().apply("toko-rapi", loaded.mapping, example())

    status, output = run("mapping", "show", "--connection", "toko-rapi")

    assert status == 0
    assert "mapping version 1" in output
    assert applied.content_hash in output
    assert load_mapping(output).mapping == loaded.mapping


def connect(sandbox: AccurateSandbox) -> str:
    status, output = run(
        "connection", "create", "Toko Rapi", "--id", "toko-rapi", "--ginee-url", "https://api.ginee.com",
        "--ginee-access-key", "a", "--ginee-secret-key", "k", "--accurate-api-token", "aat.sandbox.token",
        "--accurate-signature-secret", "rahasia", "--accurate-account-url", sandbox.base_url,
        "--webhook-base", "https://example.invalid", "--skip-check",
    )  # fmt: skip
    assert status == 0, output
    return "toko-rapi"


def test_apply_of_the_example_succeeds_against_the_demo_company_and_reapply_is_a_no_op(
    ledger: LocalResources, sandbox: AccurateSandbox
) -> None:
    connection_id = connect(sandbox)

    first = run("mapping", "apply", str(EXAMPLE), "--connection", connection_id)
    second = run("mapping", "apply", str(EXAMPLE), "--connection", connection_id)

    assert first[0] == 0, first[1]
    assert "mapping version 1 applied" in first[1]
    assert second == (0, second[1])
    assert "unchanged: version 1" in second[1]


def test_apply_refuses_a_mapping_naming_an_account_accurate_lacks(
    ledger: LocalResources, sandbox: AccurateSandbox, tmp_path: Path
) -> None:
    connection_id = connect(sandbox)
    wrong = tmp_path / "mapping.yaml"
    text = example()
    affiliate_line = text[: text.index('affiliate: "6105"')].count("\n") + 1
    wrong.write_text(text.replace('affiliate: "6105"             # Beban Afiliasi', 'affiliate: "6199"'))

    status, output = run("mapping", "apply", str(wrong), "--connection", connection_id)

    assert status == 2
    assert (
        f"line {affiliate_line}: stores.SH64AAV776CFF47E0001SHOPEE.accounts.affiliate: GL account 6199 is not in Accurate"
        in output
    )
    assert MappingRepository().current(connection_id) is None


def test_apply_refuses_when_accurate_cannot_be_asked_and_stores_nothing(
    ledger: LocalResources, sandbox: AccurateSandbox
) -> None:
    connection_id = connect(sandbox)
    sandbox.responses.api_token = "aat.another.token"

    status, output = run("mapping", "apply", str(EXAMPLE), "--connection", connection_id)

    assert status == 2
    assert output == (
        "error: Accurate (127.0.0.1) refused connection toko-rapi's token: authorize it again "
        "(omsync connection authorize toko-rapi) or give it a new API token; nothing was stored\n"
    )
    assert MappingRepository().current(connection_id) is None


def test_apply_when_accurate_is_unreachable_is_one_line_naming_the_host(
    ledger: LocalResources, sandbox: AccurateSandbox
) -> None:
    connection_id = connect(sandbox)
    sandbox.stop()  # nothing listens on its port any more

    status, output = run("mapping", "apply", str(EXAMPLE), "--connection", connection_id)

    assert status == 2
    assert output == (
        "error: cannot reach Accurate (127.0.0.1) for connection toko-rapi: check the network and the "
        "connection's Accurate account URL, then retry; nothing was stored\n"
    )
    assert MappingRepository().current(connection_id) is None


NOT_UTF8 = {
    "cp1252": "name: café\n".encode("cp1252"),
    "utf-16": "name: café\n".encode("utf-16"),
    "binary": bytes(range(256)),
}


@pytest.mark.parametrize("encoding", sorted(NOT_UTF8))
def test_validate_of_a_file_that_is_not_utf8_says_to_save_it_as_utf8(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_bytes(NOT_UTF8[encoding])

    assert run("mapping", "validate", str(path)) == (
        2,
        f"error: {path} is not UTF-8 text: save the mapping as UTF-8 YAML\n",
    )


def test_apply_of_a_file_that_is_not_utf8_stores_nothing(
    ledger: LocalResources, sandbox: AccurateSandbox, tmp_path: Path
) -> None:
    connection_id = connect(sandbox)
    path = tmp_path / "mapping.yaml"
    path.write_bytes(example().replace("Beban", "Bébàn").encode("cp1252"))

    status, output = run("mapping", "apply", str(path), "--connection", connection_id)

    assert (status, output) == (2, f"error: {path} is not UTF-8 text: save the mapping as UTF-8 YAML\n")
    assert MappingRepository().current(connection_id) is None
