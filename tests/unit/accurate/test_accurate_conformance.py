"""Every request body the client can build matches Accurate's published request contract.

The contract is ``accurate_request_contract.json`` beside this test: the save.do request bodies of every
module omsync posts to, as Accurate's published OpenAPI spec gives them (names, types, required flags,
nesting, enum values). Accurate silently ignores unknown fields, so this test is what catches a misspelt one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from accurate_examples import every_document, minimal_documents

from omsync.accurate.documents import AccurateDocument

SPEC_PATH = Path(__file__).with_name("accurate_request_contract.json")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def body_fields(body: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(spec name, value) of every field in a body, arrays named with ``[n]`` as the spec does."""
    found: list[tuple[str, Any]] = []
    for key, value in body.items():
        name = prefix + key
        found.append((name, value))
        if isinstance(value, list):
            for element in value:
                if isinstance(element, dict):
                    found.extend(body_fields(element, f"{name}[n]."))
    return found


def violations(document: AccurateDocument, spec: dict[str, Any]) -> list[str]:
    endpoint = spec["endpoints"][f"POST /api/{document.module}/save.do"]
    params = {p["name"]: p for p in endpoint["params"] if p["in"] == "body"}
    body = document.request_body()
    problems = []
    fields = body_fields(body)
    for name, value in fields:
        param = params.get(name)
        if param is None:
            problems.append(f"unknown field {name}")
            continue
        enum = param.get("enum")
        if enum and value not in spec["enums"][enum]["values"]:
            problems.append(f"{name}={value!r} not in {enum}")
    present = {name for name, _ in fields}
    for name, param in params.items():
        if not param["required"]:
            continue
        if not param.get("nested"):
            if name not in present:
                problems.append(f"missing required {name}")
            continue
        parent, _, leaf = name.rpartition("[n].")
        for element_owner in _elements(body, parent):
            if leaf not in element_owner:
                problems.append(f"missing required {name}")
    return problems


def _elements(body: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """Every element of the array at ``path`` (``detailInvoice[n].detailDiscount``)."""
    owners = [body]
    for step in path.split("[n]."):
        owners = [element for owner in owners for element in owner.get(step, []) if isinstance(element, dict)]
    return owners


@pytest.mark.parametrize("document", every_document() + minimal_documents(), ids=lambda d: type(d).__name__)
def test_every_body_the_client_builds_is_in_the_contract(document: AccurateDocument, spec: dict[str, Any]) -> None:
    assert violations(document, spec) == []


def test_the_checker_itself_catches_unknown_missing_and_invalid(spec: dict[str, Any]) -> None:
    """Given a body with a misspelt field, a missing required array and a bad enum, all three are reported."""
    document = every_document()[5]  # SalesReturn

    class Broken(type(document)):  # type: ignore[misc]
        def request_body(self) -> dict[str, Any]:
            body = super().request_body()
            body["custNo"] = body.pop("customerNo")
            body["returnType"] = "CANCEL"
            del body["detailExpense"]
            return body

    broken = Broken.model_validate(document.model_dump())
    assert sorted(violations(broken, spec)) == [
        "missing required customerNo",
        "missing required detailExpense",
        "returnType='CANCEL' not in returnType",
        "unknown field custNo",
    ]
