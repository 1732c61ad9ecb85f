"""Reading template.yaml the way CloudFormation would, enough for the embedded stack.

The local stack creates its queues, tables and alarms and wires its functions from the same file that
`sam deploy` uses, so the two cannot drift. This module parses the short-form intrinsic tags and
resolves `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If`, `Fn::FindInMap`, `Fn::Join`, `Fn::Select`,
`Fn::Split` and the condition functions against parameter values and the physical resources created
so far.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

ACCOUNT_ID: Final = "123456789012"  # moto's default account
NO_VALUE: Final = object()


class TemplateError(Exception):
    """The template uses something the local stack cannot resolve or emulate."""


class Unresolved(Exception):
    """A value refers to a resource that does not exist locally yet (creation order retries it)."""

    def __init__(self, logical_id: str) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id


# libyaml's parser where PyYAML was built with it (the wheels are): the pure-Python one took about a third of
# the CPU of starting a local stack, which every flow specification does.
_SafeLoaderBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoaderBase):  # type: ignore[valid-type,misc]
    """YAML loader that turns `!Ref x` into `{"Ref": "x"}` and `!Sub s` into `{"Fn::Sub": s}`."""


def _intrinsic(loader: _Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - YAML has no other node kinds
        raise TemplateError(f"unsupported node for !{tag_suffix}")
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template in YAML, short-form tags included.

    Parsed once per version of the file (its modification time and size), and a copy returned each time,
    so a caller may change what it gets. Raises `TemplateError` when the file is no template.
    """
    stat = path.stat()
    return copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    del mtime_ns, size  # the cache's key only: a changed file is parsed again
    with path.open(encoding="utf-8") as handle:
        body = yaml.load(handle, Loader=_Loader)  # a SafeLoader subclass: builds no arbitrary objects
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        raise TemplateError(f"{path.name} is not a template with Resources")
    return body


@dataclass(frozen=True)
class LocalResource:
    """One template resource as it exists locally: what `Ref` and `Fn::GetAtt` return for it."""

    logical_id: str
    type: str
    name: str
    arn: str
    url: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """The value of `!Ref` (what CloudFormation returns for this type)."""
        if self.type == "AWS::SQS::Queue":
            return self.url or self.name
        if self.type in ("AWS::SNS::Topic", "AWS::SecretsManager::Secret", "AWS::Serverless::LayerVersion"):
            return self.arn
        return self.name

    def get_att(self, attribute: str) -> str:
        """The value of `!GetAtt <logical id>.<attribute>`."""
        known = {"Arn": self.arn, "QueueName": self.name, "TopicName": self.name, "TopicArn": self.arn}
        if self.url is not None:
            known["QueueUrl"] = self.url
        known.update(self.attributes)
        if attribute not in known:
            raise TemplateError(f"{self.logical_id}.{attribute} is not available locally")
        return known[attribute]


_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class Resolver:
    """Evaluates intrinsic functions for one stack (parameters, pseudo parameters, resources made so far)."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        stack_name: str,
        region: str,
        parameters: Mapping[str, str] | None = None,
        resources: Mapping[str, LocalResource] | None = None,
    ) -> None:
        self.template = template
        self.resources: Mapping[str, LocalResource] = resources if resources is not None else {}
        self.parameters = self._parameter_values(parameters or {})
        self.pseudo = {
            "AWS::StackName": stack_name,
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/local",
        }

    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, str]:
        declared: Mapping[str, Any] = self.template.get("Parameters") or {}
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown parameters: {', '.join(sorted(unknown))}")
        values: dict[str, str] = {}
        for name, spec in declared.items():
            if name in overrides:
                value = str(overrides[name])
            elif "Default" in spec:
                value = str(spec["Default"])
            else:
                raise TemplateError(f"parameter {name} has no default; pass it to the local stack")
            allowed = spec.get("AllowedValues")
            if allowed is not None and value not in [str(v) for v in allowed]:
                raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
            values[name] = value
        return values

    def condition(self, name: str) -> bool:
        """The value of a named condition."""
        conditions: Mapping[str, Any] = self.template.get("Conditions") or {}
        if name not in conditions:
            raise TemplateError(f"unknown condition {name}")
        return bool(self.resolve(conditions[name]))

    def is_active(self, resource: Mapping[str, Any]) -> bool:
        """Whether a resource exists in this stack (its `Condition`, if any, holds)."""
        condition = resource.get("Condition")
        return condition is None or self.condition(str(condition))

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated; `AWS::NoValue` removes keys and list items."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(str(argument))
            if key == "Condition":
                return self.condition(str(argument))
            if key.startswith("Fn::"):
                return self._function(key[4:], argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        if name in self.template["Resources"]:
            raise Unresolved(name)
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id in self.resources:
            return self.resources[logical_id].get_att(attribute)
        if logical_id in self.template["Resources"]:
            raise Unresolved(logical_id)
        raise TemplateError(f"!GetAtt {logical_id}.{attribute}: no such resource")

    def _function(self, name: str, argument: Any) -> Any:
        if name == "GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else [self.resolve(a) for a in argument]
            return self._get_att(str(parts[0]), str(parts[1]))
        if name == "Sub":
            return self._sub(argument)
        if name == "If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(str(condition)) else when_false)
        if name == "Equals":
            left, right = (self.resolve(a) for a in argument)
            return str(left) == str(right)
        if name == "Not":
            return not self.resolve(argument[0])
        if name == "And":
            return all(self.resolve(a) for a in argument)
        if name == "Or":
            return any(self.resolve(a) for a in argument)
        if name == "FindInMap":
            mapping, first, second = (self.resolve(a) for a in argument)
            try:
                return self.template["Mappings"][mapping][first][second]
            except KeyError as missing:
                raise TemplateError(f"!FindInMap [{mapping}, {first}, {second}]: {missing} not found") from None
        if name == "Join":
            delimiter, items = argument
            return str(delimiter).join(str(item) for item in self.resolve(items))
        if name == "Select":
            index, items = argument
            return self.resolve(items)[int(self.resolve(index))]
        if name == "Split":
            delimiter, text = argument
            return str(self.resolve(text)).split(str(delimiter))
        raise TemplateError(f"Fn::{name} is not supported by the local stack")

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], {k: self.resolve(v) for k, v in argument[1].items()}
        else:
            text, variables = argument, {}

        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(variables[expression])
            if "." in expression and expression.split(".", 1)[0] in self.template["Resources"]:
                logical_id, attribute = expression.split(".", 1)
                return self._get_att(logical_id, attribute)
            return str(self._ref(expression))

        return _SUB_VARIABLE.sub(substitute, str(text))
