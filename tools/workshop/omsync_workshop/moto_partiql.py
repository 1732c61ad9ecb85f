"""DynamoDB's PartiQL writes, as the Ledger sends them, in moto 5.2.5: a fidelity patch (``dynamodb_partiql_writes``).

The Ledger writes a batch of orders' records as PartiQL statements in ``BatchExecuteStatement`` requests
(`omsync.ledger.orders`). moto 5.2.5 runs every statement through py-partiql-parser 0.6, which does not run them
as DynamoDB does:

- its UPDATE knows one ``SET a = ?`` list or one ``REMOVE a`` and a WHERE of equalities joined by ``AND``: no
  ``OR``, ``<``, ``IS MISSING`` or parentheses, nor several ``SET``/``REMOVE`` clauses, so the Ledger's conditions
  are not evaluated;
- an UPDATE whose item does not exist writes nothing and reports success, and an INSERT whose key exists
  replaces the item;
- and each statement hands every item of every table to the parser (a 20,000-order Ledger, 25 statements a
  request, is a million items converted per request).

What DynamoDB does (Developer Guide, "PartiQL update statements for DynamoDB", "PartiQL insert statements for
DynamoDB", "Running batch operations with PartiQL for DynamoDB"; API Reference, ``BatchStatementError``):

- ``UPDATE`` changes one item, named in WHERE by its whole primary key; the rest of WHERE is a condition, and
  when WHERE "does not evaluate to true for any item", the statement fails with ``ConditionalCheckFailed``: an
  UPDATE never creates an item. ``SET`` and ``REMOVE`` clauses may repeat (``SET a=1 SET b=2``).
- ``INSERT INTO t VALUE {...}`` adds one item; when an item with its key exists, ``DuplicateItem``.
- ``attr IS MISSING`` / ``IS NOT MISSING`` is true when the item lacks (has) the attribute.
- in a batch, each statement succeeds or fails on its own; a failure is its response's
  ``Error {Code, Message}`` (``ConditionalCheckFailed``, ``DuplicateItem``, ``ValidationError``,
  ``ResourceNotFound``…) and the request itself succeeds.

The patch runs statements of exactly this form (all the Ledger sends) as moto's own ``UpdateItem`` and
``PutItem``, so moto's condition evaluation and item rules (sizes, index keys) apply, and everything else goes to
moto's own code unchanged:

- ``UPDATE "t" SET "a" = ? … REMOVE "b" … WHERE "hk" = ? AND "rk" = ? [AND <condition>]``, ``hk``/``rk`` the
  table's key, as ``UpdateItem`` with ``attribute_exists(hk) AND <condition>``;
- ``INSERT INTO "t" VALUE {'a': ?, …}`` as ``PutItem`` with ``attribute_not_exists(hk)``;
- a condition: ``"x" IS [NOT] MISSING``, ``"x" <op> ?`` (``= <> < <= > >=``), ``AND``, ``OR``, parentheses.

``tests/integration/local/test_moto_partiql.py`` checks each case differentially over HTTP: a statement on a
patched server leaves the item, and fails or not, as the ``UpdateItem`` (``PutItem``) with the same meaning does
on moto as released.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from omsync_workshop.moto_patches import require_moto_version

_UPDATE = re.compile(r'^\s*UPDATE\s+"([^"]+)"\s+(.*?)\s+WHERE\s+(.*?)\s*$', re.IGNORECASE | re.DOTALL)
_ACTION = re.compile(r'\s*(SET|REMOVE)\s+"([^"]+)"(\s*=\s*\?)?\s*', re.IGNORECASE)
_INSERT = re.compile(r'^\s*INSERT\s+INTO\s+"([^"]+)"\s+VALUE\s+\{(.*)\}\s*$', re.IGNORECASE | re.DOTALL)
_INSERT_ATTRIBUTE = re.compile(r"^\s*'([^']+)'\s*:\s*\?\s*$")
_TOKEN = re.compile(
    r'\s*(?:"([^"]+)"|(\?)|(<>|<=|>=|=|<|>)|(\(|\))|(IS\s+NOT\s+MISSING|IS\s+MISSING)\b|(AND|OR)\b)', re.IGNORECASE
)


@dataclass(frozen=True)
class CompiledUpdate:
    """An UPDATE of the subset: the SET names (each taking the next parameter), the REMOVE names, the two key
    names and the condition as an UpdateItem ConditionExpression over ``#n{i}`` names and ``:p{i}`` parameter
    indexes (empty when WHERE is the key alone)."""

    table: str
    sets: tuple[str, ...]
    removes: tuple[str, ...]
    keys: tuple[str, str]
    condition: str
    names: tuple[str, ...]
    """The condition's attribute names, ``#c{i}`` for index i."""
    flat: bool
    """The condition has no parentheses (a flat OR of ANDs)."""


@dataclass(frozen=True)
class CompiledInsert:
    """An INSERT of the subset: its attribute names, each taking the next parameter."""

    table: str
    attributes: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def compile_statement(statement: str) -> CompiledUpdate | CompiledInsert | None:
    """The statement's recipe, or None when it is outside the subset (moto's own code then runs it)."""
    inserted = _INSERT.match(statement)
    if inserted is not None:
        attributes = []
        for piece in inserted.group(2).split(","):
            matched = _INSERT_ATTRIBUTE.match(piece)
            if matched is None:
                return None
            attributes.append(matched.group(1))
        if len(set(attributes)) != len(attributes):
            return None
        return CompiledInsert(inserted.group(1), tuple(attributes))
    updated = _UPDATE.match(statement)
    if updated is None:
        return None
    table, actions, where = updated.groups()
    sets: list[str] = []
    removes: list[str] = []
    position = 0
    while position < len(actions):
        action = _ACTION.match(actions, position)
        if action is None or action.end() == position:
            return None
        keyword, name, assigned = action.group(1).upper(), action.group(2), action.group(3)
        if (keyword == "SET") != bool(assigned):
            return None
        (sets if keyword == "SET" else removes).append(name)
        position = action.end()
    if not (sets or removes) or len(set(sets) | set(removes)) != len(sets) + len(removes):
        return None
    return _compile_where(table, tuple(sets), tuple(removes), where)


def _tokens(text: str) -> list[tuple[str, str]] | None:
    """(kind, text) tokens: name, param, op, paren, missing, connective; None on anything else."""
    kinds = ("name", "param", "op", "paren", "missing", "connective")
    found: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        matched = _TOKEN.match(text, position)
        if matched is None or matched.end() == position:
            return None
        index = next(i for i, group in enumerate(matched.groups()) if group is not None)
        found.append((kinds[index], matched.group(index + 1)))
        position = matched.end()
    return found


def _compile_where(table: str, sets: tuple[str, ...], removes: tuple[str, ...], where: str) -> CompiledUpdate | None:
    tokens = _tokens(where)
    if tokens is None or len(tokens) < 7:
        return None
    key_part, rest = tokens[:7], tokens[7:]
    shape = [kind for kind, _ in key_part]
    if shape != ["name", "op", "param", "connective", "name", "op", "param"]:
        return None
    if key_part[1][1] != "=" or key_part[5][1] != "=" or key_part[3][1].upper() != "AND":
        return None
    keys = (key_part[0][1], key_part[4][1])
    if not rest:
        return CompiledUpdate(table, sets, removes, keys, "", (), True)
    if rest[0][0] != "connective" or rest[0][1].upper() != "AND" or len(rest) < 2:
        return None
    condition, names = _condition(rest[1:], len(sets) + 2)
    if condition is None:
        return None
    body = rest[1:]
    while _wrapped(body):
        # One pair around the whole condition says nothing (and UpdateItem refuses redundant parentheses).
        body = body[1:-1]
    condition, names = _condition(body, len(sets) + 2)
    if condition is None:
        return None
    flat = not any(kind == "paren" for kind, _ in body)
    return CompiledUpdate(table, sets, removes, keys, condition, names, flat)


def _wrapped(tokens: list[tuple[str, str]]) -> bool:
    """The tokens are one parenthesised group: the first ``(`` closes at the last token."""
    if len(tokens) < 2 or tokens[0] != ("paren", "(") or tokens[-1] != ("paren", ")"):
        return False
    depth = 0
    for index, (kind, text) in enumerate(tokens):
        if kind == "paren":
            depth += 1 if text == "(" else -1
            if depth == 0:
                return index == len(tokens) - 1
    return False


def _condition(tokens: list[tuple[str, str]], first_parameter: int) -> tuple[str | None, tuple[str, ...]]:
    """The condition as a ConditionExpression (names ``#c{i}``, parameters ``:p{i}`` numbered from
    ``first_parameter``), or None when a token is out of place."""
    out: list[str] = []
    names: list[str] = []
    parameter = first_parameter
    depth = 0
    expect_term = True
    index = 0

    def name_token(name: str) -> str:
        if name not in names:
            names.append(name)
        return f"#c{names.index(name)}"

    while index < len(tokens):
        kind, text = tokens[index]
        if expect_term:
            if kind == "paren" and text == "(":
                out.append("(")
                depth += 1
                index += 1
                continue
            if kind != "name" or index + 1 >= len(tokens):
                return None, ()
            follower_kind, follower = tokens[index + 1]
            if follower_kind == "missing":
                negated = "NOT" in follower.upper()
                function = "attribute_exists" if negated else "attribute_not_exists"
                out.append(f"{function}({name_token(text)})")
                index += 2
            elif follower_kind == "op" and index + 2 < len(tokens) and tokens[index + 2][0] == "param":
                out.append(f"{name_token(text)} {follower} :p{parameter}")
                parameter += 1
                index += 3
            else:
                return None, ()
            expect_term = False
        else:
            if kind == "paren" and text == ")":
                if depth == 0:
                    return None, ()
                out.append(")")
                depth -= 1
            elif kind == "connective":
                out.append(text.upper())
                expect_term = True
            else:
                return None, ()
            index += 1
    if expect_term or depth:
        return None, ()
    return " ".join(out), tuple(names)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


def _run_update(backend: Any, recipe: CompiledUpdate, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    from moto.dynamodb.exceptions import ConditionalCheckFailed, MockValidationException

    table = backend.get_table(recipe.table)
    expected_keys = {table.hash_key_attr, table.range_key_attr} - {None}
    if set(recipe.keys) != expected_keys or len(parameters) != len(recipe.sets) + 2 + recipe.condition.count(":p"):
        return _error("ValidationError", "Where clause does not contain a mandatory equality on all key attributes")
    names: dict[str, str] = {f"#s{i}": name for i, name in enumerate(recipe.sets)}
    names |= {f"#r{i}": name for i, name in enumerate(recipe.removes)}
    names |= {f"#c{i}": name for i, name in enumerate(recipe.names)}
    names["#k"] = table.hash_key_attr
    values = {f":p{i}": value for i, value in enumerate(parameters)}
    clauses = []
    if recipe.sets:
        clauses.append("SET " + ", ".join(f"#s{i} = :p{i}" for i in range(len(recipe.sets))))
    if recipe.removes:
        clauses.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(recipe.removes))))
    key_values = parameters[len(recipe.sets) : len(recipe.sets) + 2]
    key = dict(zip(recipe.keys, key_values, strict=True))
    exists = "attribute_exists(#k)"
    if not recipe.condition:
        condition = exists
    elif recipe.flat:
        # ``k AND (a OR b)`` as ``k AND a OR k AND b``: the same truth, and the form the speed level compiles.
        condition = " OR ".join(f"{exists} AND {part}" for part in recipe.condition.split(" OR "))
    else:
        condition = f"{exists} AND ({recipe.condition})"
    used = set(re.findall(r":p\d+", " ".join(clauses) + " " + condition))
    values = {name: value for name, value in values.items() if name in used}
    try:
        backend.update_item(
            recipe.table,
            key,
            update_expression=" ".join(clauses),
            expression_attribute_names=names,
            expression_attribute_values=values,
            condition_expression=condition,
        )
    except ConditionalCheckFailed:
        return _error("ConditionalCheckFailed", "The conditional request failed")
    except MockValidationException as failure:
        return _error("ValidationError", str(getattr(failure, "exception_msg", failure)))
    return {"TableName": recipe.table}


def _run_insert(backend: Any, recipe: CompiledInsert, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    from moto.dynamodb.exceptions import ConditionalCheckFailed, MockValidationException

    table = backend.get_table(recipe.table)
    if len(parameters) != len(recipe.attributes):
        return _error("ValidationError", "Number of parameters in request and statement don't match.")
    item = dict(zip(recipe.attributes, parameters, strict=True))
    try:
        backend.put_item(
            recipe.table,
            item,
            condition_expression="attribute_not_exists(#k)",
            expression_attribute_names={"#k": table.hash_key_attr},
        )
    except ConditionalCheckFailed:
        return _error("DuplicateItem", "Duplicate primary key exists in table")
    except MockValidationException as failure:
        return _error("ValidationError", str(getattr(failure, "exception_msg", failure)))
    return {"TableName": recipe.table}


def install() -> None:
    """Run the subset's statements in ``BatchExecuteStatement`` as DynamoDB does (module docstring)."""
    require_moto_version("dynamodb_partiql_writes")
    from moto.dynamodb.exceptions import ResourceNotFoundException
    from moto.dynamodb.models import DynamoDBBackend

    backend_class: Any = DynamoDBBackend
    original = backend_class.batch_execute_statement

    def batch_execute_statement(backend: Any, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any]] = []
        for statement in statements:
            recipe = compile_statement(str(statement.get("Statement", "")))
            if recipe is None:
                responses.extend(original(backend, [statement]))
                continue
            parameters = list(statement.get("Parameters") or [])
            try:
                if isinstance(recipe, CompiledInsert):
                    responses.append(_run_insert(backend, recipe, parameters))
                else:
                    responses.append(_run_update(backend, recipe, parameters))
            except ResourceNotFoundException:
                responses.append(_error("ResourceNotFound", "Requested resource not found"))
        return responses

    backend_class.batch_execute_statement = batch_execute_statement
