"""DynamoDB's simple update and condition expressions in moto without re-parsing them on every call.

A speed-only patch of moto 5.2.5's internals (``dynamodb_compiled_expressions``), for `omsync bench` alone:
see `omsync_workshop.moto_patches`.

moto tokenizes and parses every UpdateExpression and ConditionExpression on every call, deep-copies the
parsed tree, and walks it several times to resolve names and values: about 5 ms per conditional update,
which made the Ledger's 100-item transactions the largest cost of a local flash-sale drain.

This module compiles an expression once per text into a small recipe and, per call, builds moto's own
condition operators (``OpEqual``, ``OpOr``, ``FuncAttrExists``…) from it, or applies the update's
assignments to the item directly. It handles only this subset, which is all the Ledger and the
governor use:

- updates: ``SET a = :v, #b = :w`` and ``REMOVE c, #d`` clauses (top-level attribute names, none a reserved word);
- conditions: ``attribute_exists(a)``, ``attribute_not_exists(a)`` and ``a <op> :v`` / ``:v <op> a``
  (``= <> < <= > >=``) joined by ``AND`` / ``OR`` with the usual precedence, without parentheses.

Anything else — functions, arithmetic, nested paths, ``NOT``, parentheses, an unknown placeholder, an
attribute named twice, a key attribute assigned, an index key assigned an empty value, a table with a stream, the legacy
``Expected``/``AttributeUpdates`` parameters — goes to moto's own code unchanged, so moto raises the
same validation errors it always did. The result for the subset is the same as moto's, which
``tests/integration/local/test_moto_expressions.py`` checks item by item, over HTTP, against a moto server
as released.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from typing import Any

_NAME = r"(?:#?[A-Za-z_][A-Za-z0-9_]*)"
_PLACEHOLDER = r":[A-Za-z0-9_]+"
_SET_ITEM = re.compile(rf"^\s*({_NAME})\s*=\s*({_PLACEHOLDER})\s*$")
_REMOVE_ITEM = re.compile(rf"^\s*({_NAME})\s*$")
_CLAUSE = re.compile(r"\b(SET|REMOVE)\b", re.IGNORECASE)
_COMPARISON = re.compile(rf"^\s*({_NAME}|{_PLACEHOLDER})\s*(<>|<=|>=|=|<|>)\s*({_NAME}|{_PLACEHOLDER})\s*$")
_FUNCTION = re.compile(rf"^\s*(attribute_exists|attribute_not_exists)\s*\(\s*({_NAME})\s*\)\s*$")
_CONNECTIVE = re.compile(r"\s+(AND|OR)\s+", re.IGNORECASE)
_RESERVED_OPERAND = re.compile(r"^(AND|OR|NOT|BETWEEN|IN|SET|REMOVE|ADD|DELETE)$", re.IGNORECASE)


@dataclass(frozen=True)
class UpdateRecipe:
    """A compiled ``SET``/``REMOVE`` update: (name token, placeholder) pairs and name tokens to drop."""

    assignments: tuple[tuple[str, str], ...]
    removals: tuple[str, ...]


Term = tuple[str, str, str]
"""("exists" | "not_exists", name token, "") or (operator, left token, right token)."""


@dataclass(frozen=True)
class ConditionRecipe:
    """A compiled condition: OR of ANDs of terms (AND binds tighter, as in DynamoDB)."""

    disjuncts: tuple[tuple[Term, ...], ...]


@functools.lru_cache(maxsize=512)
def compile_update(expression: str) -> UpdateRecipe | None:
    """The recipe of a ``SET``/``REMOVE`` update, or None when it is outside the subset."""
    parts = _CLAUSE.split(expression)
    if parts[0].strip():
        return None
    assignments: list[tuple[str, str]] = []
    removals: list[str] = []
    seen_clauses: set[str] = set()
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        keyword = keyword.upper()
        if keyword in seen_clauses or not body.strip():
            return None
        seen_clauses.add(keyword)
        for piece in body.split(","):
            if keyword == "SET":
                matched = _SET_ITEM.match(piece)
                if matched is None or _reserved(matched.group(1)):
                    return None
                assignments.append((matched.group(1), matched.group(2)))
            else:
                matched = _REMOVE_ITEM.match(piece)
                if matched is None or _reserved(matched.group(1)):
                    return None
                removals.append(matched.group(1))
    return UpdateRecipe(tuple(assignments), tuple(removals))


@functools.lru_cache(maxsize=512)
def compile_condition(expression: str) -> ConditionRecipe | None:
    """The recipe of a condition, or None when it is outside the subset."""
    if "(" in expression.replace("attribute_exists(", "").replace("attribute_not_exists(", ""):
        return None
    pieces = _CONNECTIVE.split(expression)
    disjuncts: list[tuple[Term, ...]] = []
    current: list[Term] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 1:
            if piece.upper() == "OR":
                disjuncts.append(tuple(current))
                current = []
            continue
        term = _term(piece)
        if term is None:
            return None
        current.append(term)
    disjuncts.append(tuple(current))
    return ConditionRecipe(tuple(disjuncts))


def _term(text: str) -> Term | None:
    function = _FUNCTION.match(text)
    if function is not None:
        kind = "exists" if function.group(1) == "attribute_exists" else "not_exists"
        return (kind, function.group(2), "")
    comparison = _COMPARISON.match(text)
    if comparison is None:
        return None
    left, operator, right = comparison.groups()
    if _reserved(left) or _reserved(right):
        return None
    return (operator, left, right)


def _reserved(token: str) -> bool:
    """A plain attribute name DynamoDB reserves (``other``, ``status`` …): moto's parser must refuse it."""
    if token.startswith(("#", ":")):
        return False
    return bool(_RESERVED_OPERAND.match(token)) or token.upper() in _reserved_keywords()


@functools.cache
def _reserved_keywords() -> frozenset[str]:
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    return frozenset(word.upper() for word in ReservedKeywords.get_reserved_keywords())


def _resolve_name(token: str, names: dict[str, str] | None) -> str | None:
    if token.startswith("#"):
        return (names or {}).get(token)
    return token


class _Unsupported(Exception):
    """The call falls outside the subset (an unknown placeholder or name): moto's own code decides."""


def build_condition(recipe: ConditionRecipe, names: dict[str, str] | None, values: dict[str, Any] | None) -> Any:
    """moto's own operator tree for a compiled condition; raises `_Unsupported` for unknown tokens."""
    from moto.dynamodb import comparisons as c

    operators = {
        "=": c.OpEqual,
        "<>": c.OpNotEqual,
        "<": c.OpLessThan,
        "<=": c.OpLessThanOrEqual,
        ">": c.OpGreaterThan,
        ">=": c.OpGreaterThanOrEqual,
    }

    def operand(token: str) -> Any:
        if token.startswith(":"):
            if values is None or token not in values:
                raise _Unsupported(token)
            return c.AttributeValue(values[token])
        name = _resolve_name(token, names)
        if name is None:
            raise _Unsupported(token)
        return c.AttributePath([name])

    def term(t: Term) -> Any:
        kind, left, right = t
        if kind == "exists":
            return c.FuncAttrExists(operand(left))
        if kind == "not_exists":
            return c.FuncAttrNotExists(operand(left))
        return operators[kind](operand(left), operand(right))

    tree: Any = None
    for conjunction in recipe.disjuncts:
        node: Any = None
        for t in conjunction:
            node = term(t) if node is None else c.OpAnd(node, term(t))
        tree = node if tree is None else c.OpOr(tree, node)
    return tree


def compiled_condition(expression: str | None, names: Any, values: Any) -> Any:
    """moto's operator tree for a condition in the subset, or None when moto's own parser must decide."""
    recipe = compile_condition(expression) if expression else None
    if recipe is None:
        return None
    try:
        return build_condition(recipe, names, values)
    except _Unsupported:
        return None


class _CompiledParser:
    """Stands in for moto's ``ConditionExpressionParser`` where the request layer only validates."""

    def __init__(self, original: Any, recipe: ConditionRecipe, expression: str, names: Any, values: Any) -> None:
        self._original = original
        self._recipe = recipe
        self._arguments = (expression, names, values)
        tokens = [token for term in _terms(recipe) for token in term[1:] if token]
        self.expr_attr_names_found = [token for token in tokens if token.startswith("#")]
        self.expr_attr_values_found = [token for token in tokens if token.startswith(":")]

    def parse(self) -> Any:
        compiled = compiled_condition(*self._arguments)
        if compiled is not None:
            return compiled
        parser = self._original(*self._arguments)
        parsed = parser.parse()
        self.expr_attr_names_found = parser.expr_attr_names_found
        self.expr_attr_values_found = parser.expr_attr_values_found
        return parsed


def _terms(recipe: ConditionRecipe) -> list[Term]:
    return [term for conjunction in recipe.disjuncts for term in conjunction]


def install() -> None:
    """Route moto's DynamoDB condition and update evaluation through the compiled recipes.

    Also parses each UpdateExpression text once: moto's parsed tree is only read (the request layer
    looks for names in it) or deep-copied before use (the validator), so one tree can serve every call.
    """
    import importlib

    from omsync_workshop.moto_patches import require_moto_version

    require_moto_version("dynamodb_compiled_expressions")
    models: Any = importlib.import_module("moto.dynamodb.models")

    responses: Any = importlib.import_module("moto.dynamodb.responses")
    UpdateExpressionParser: Any = importlib.import_module("moto.dynamodb.parsing.expressions").UpdateExpressionParser  # noqa: N806

    original_parser = responses.create_condition_expression_parser
    original_make = UpdateExpressionParser.make.__func__

    @functools.lru_cache(maxsize=512)
    def cached_make(expression: str) -> Any:
        return original_make(UpdateExpressionParser, expression)

    def make(cls: Any, expression: str) -> Any:
        if cls is UpdateExpressionParser:
            return cached_make(expression)
        return original_make(cls, expression)

    def create_condition_expression_parser(expr: str | None, names: Any, values: Any) -> Any:
        recipe = compile_condition(expr) if expr else None
        if recipe is None:
            return original_parser(expr, names, values)
        return _CompiledParser(original_parser, recipe, expr or "", names, values)

    UpdateExpressionParser.make = classmethod(make)
    responses.create_condition_expression_parser = create_condition_expression_parser
    original_filter = models.get_filter_expression
    original_update = models.DynamoDBBackend.update_item

    def get_filter_expression(expr: str | None, names: Any, values: Any) -> Any:
        compiled = compiled_condition(expr, names, values)
        return compiled if compiled is not None else original_filter(expr, names, values)

    signature = inspect.signature(original_update)

    def update_item(backend: Any, *args: Any, **kwargs: Any) -> Any:
        call = signature.bind(backend, *args, **kwargs).arguments
        fast = _fast_update(
            backend,
            call["table_name"],
            call["key"],
            call["update_expression"],
            call["expression_attribute_names"],
            call["expression_attribute_values"],
            call.get("condition_expression"),
            call.get("return_values_on_condition_check_failure"),
            has_legacy=bool(call.get("attribute_updates") or call.get("expected")),
        )
        if fast is not None:
            return fast
        return original_update(backend, *args, **kwargs)

    models.get_filter_expression = get_filter_expression
    models.DynamoDBBackend.update_item = update_item


def _index_keys(table: Any) -> set[str]:
    """The key attributes of the table's indexes: assigning one an empty value goes to moto's checks."""
    names: set[str] = set()
    for index in [*table.global_indexes, *table.indexes]:
        names.update(part["AttributeName"] for part in index.schema)
    return names


def _empty(value: dict[str, Any]) -> bool:
    return any(kind in ("S", "B") and not content for kind, content in value.items())


def _fast_update(
    backend: Any,
    table_name: str,
    key: dict[str, Any],
    update_expression: str,
    names: dict[str, Any] | None,
    values: dict[str, Any] | None,
    condition_expression: str | None,
    return_values_on_condition_check_failure: str | None,
    *,
    has_legacy: bool,
) -> Any:
    """The updated item, or None when moto's own update_item must handle the call."""
    from moto.dynamodb.exceptions import ConditionalCheckFailed
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    if has_legacy or not update_expression:
        return None
    recipe = compile_update(update_expression)
    if recipe is None:
        return None
    if backend.tables.get(table_name) is None:
        return None
    table = backend.get_table(table_name)
    if table.stream_shard is not None or table.hash_key_attr not in key:
        return None
    targets = [_resolve_name(token, names) for token, _ in recipe.assignments]
    targets += [_resolve_name(token, names) for token in recipe.removals]
    if None in targets or len(set(targets)) != len(targets):
        return None
    if {table.hash_key_attr, table.range_key_attr} & set(targets):
        return None
    given = values or {}
    if any(placeholder not in given for _, placeholder in recipe.assignments):
        return None
    index_keys = _index_keys(table)
    if any(
        name in index_keys and _empty(given[placeholder])
        for (_, placeholder), name in zip(recipe.assignments, targets, strict=False)
    ):
        return None
    condition = compiled_condition(condition_expression, names, values)
    if condition_expression and condition is None:
        return None

    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
    item = table.get_item(hash_value, range_value)
    if condition is not None and not condition.expr(item):
        if return_values_on_condition_check_failure == "ALL_OLD" and item is not None:
            raise ConditionalCheckFailed(item=item.to_json()["Attributes"])
        raise ConditionalCheckFailed
    if item is None:
        data: dict[str, Any] = {table.hash_key_attr: {hash_value.type: hash_value.value}}
        if range_value is not None:
            data[table.range_key_attr] = {range_value.type: range_value.value}
        table.put_item(data)
        item = table.get_item(hash_value, range_value)
    assert isinstance(item, Item)
    assignments = [
        (str(name), DynamoType(given[placeholder]))
        for (_, placeholder), name in zip(recipe.assignments, targets, strict=False)
    ]
    _assign_within_size_limit(item.attrs, assignments)
    for name in targets[len(recipe.assignments) :]:
        item.attrs.pop(str(name), None)
    return item


# moto's item size limit (`LimitedSizeDict`): between DynamoDB's documented 400 KB and the observed 410 KB.
_ITEM_SIZE_LIMIT = 405_000


def _assign_within_size_limit(attrs: Any, assignments: list[tuple[str, Any]]) -> None:
    """Set the attributes of an item (moto's `LimitedSizeDict`) with its size check, counted once instead
    of once per attribute.

    `LimitedSizeDict` sums the sizes of every key and value on each assignment and refuses one
    that would take the sum past the limit; this keeps the same running sum and the same refusal.
    """
    from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize

    def size_of(part: Any) -> int:
        return int(part.size()) if type(part) is DynamoType else bytesize(str(part))

    total = sum(size_of(key) + size_of(value) for key, value in attrs.items())
    for name, value in assignments:
        value_size = size_of(value)
        if total + bytesize(name) + value_size > _ITEM_SIZE_LIMIT:
            raise ItemSizeToUpdateTooLarge()
        if name in attrs:
            total += value_size - size_of(attrs[name])
        else:
            total += bytesize(name) + value_size
        dict.__setitem__(attrs, name, value)
