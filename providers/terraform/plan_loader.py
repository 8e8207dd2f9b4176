"""Collect: read ``terraform show -json`` plan output (format_version 1.x) into ``ResourceRecord`` records.

A plan already holds evaluated values, so little is resolved here: resources come from ``planned_values``,
values Terraform will only know after apply come back as ``Unknown`` (naming the resource they come from,
read from the configuration's references and, inside modules, through the module call's arguments), and
each resource's provider region is read from ``configuration.provider_config`` and the plan's variables.
Anything the plan does not record (locals, function results, providers passed into modules by old
Terraform versions) stays ``Unknown``; nothing is guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from providers.semantics.records import PLACEMENT_SETTINGS, Placement, Resolved, ResourceRecord, Unknown
from scanner.model import CoverageGap, SourceRef

_CONFIG = "plan configuration"
_MAX_MODULE_DEPTH = 64
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TRAVERSAL_STEP = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')
# Reference roots that are not resources: a computed value behind these has no resource to look up.
_NOT_RESOURCES = frozenset({"var", "local", "module", "count", "each", "self", "path", "terraform"})

Step = str | int
"""One step of a path into a value: an attribute or map key, or a list index."""


class PlanError(Exception):
    """The input is not a Terraform plan at all (as opposed to a plan with a malformed part)."""

    def __init__(self, message: str, line: int | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        """The JSON line of a syntax error, or None."""
        self.path = path
        """The plan file as the user named it."""


def parse_json(text: str, display_path: str) -> Any:
    """A JSON document (plan or state); raises ``PlanError`` when the text is not JSON."""
    try:
        # PowerShell redirection and some editors write a byte order mark that json refuses.
        return json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise PlanError(f"not valid JSON: {error}", error.lineno, display_path) from None
    except RecursionError:
        raise PlanError("not valid JSON: nested too deeply to read", None, display_path) from None


def parse_plan(text: str, display_path: str) -> dict:
    """The plan document; raises ``PlanError`` when the text is not JSON or not a plan."""
    data = parse_json(text, display_path)
    if not looks_like_plan(data):
        hint = ""
        if isinstance(data, dict) and "values" in data:
            hint = "; it looks like state (`terraform show -json` without a plan file)"
        raise PlanError(f"not a Terraform plan (no planned_values or resource_changes){hint}", None, display_path)
    return data


def looks_like_plan(data: object) -> bool:
    """Whether a parsed JSON document is ``terraform show -json`` output for a plan."""
    return isinstance(data, dict) and ("planned_values" in data or "resource_changes" in data)


def load_plan(plan: dict, display_path: str) -> tuple[tuple[ResourceRecord, ...], tuple[CoverageGap, ...]]:
    """Every managed resource the plan will leave in place, and what could not be read."""
    if not isinstance(plan, dict):
        return (), (CoverageGap(display_path, None, "the plan is not a JSON object; nothing was read"),)
    reader = _PlanReader(plan, display_path)
    return reader.load()


class _PlanReader:
    """One plan document, with the indexes the resources are built from."""

    def __init__(self, plan: dict, display_path: str) -> None:
        self.plan = plan
        self.path = display_path
        self.gaps: list[CoverageGap] = []
        self.config = _dict(plan.get("configuration"))
        self.variables = _dict(plan.get("variables"))
        self.after_unknown = self._index_changes()
        self._config_resources: dict[tuple[str, ...], dict[tuple[str, str], dict]] = {}
        self._providers: dict[str, Placement] = {}

    def gap(self, reason: str) -> None:
        self.gaps.append(CoverageGap(self.path, None, reason))

    def load(self) -> tuple[tuple[ResourceRecord, ...], tuple[CoverageGap, ...]]:
        self._check_header()
        resources: list[ResourceRecord] = []
        planned = self.plan.get("planned_values")
        if not isinstance(planned, dict) or not isinstance(planned.get("root_module", {}), dict):
            if planned is not None or self._has_planned_changes():
                self.gap("the plan has no readable planned_values.root_module; its resources were not scanned")
            return (), tuple(self.gaps)
        for raw in self._planned(planned.get("root_module", {}), "the root module", 0):
            try:
                record = self._resource(raw)
            except (RecursionError, TypeError, ValueError, KeyError, AttributeError) as error:
                # A malformed corner of one resource must cost that resource, not the whole plan.
                self.gap(f"{_address_of(raw)}: could not be read from the plan ({error}); it was not scanned")
                continue
            if record is not None:
                resources.append(record)
        return tuple(resources), tuple(self.gaps)

    # --- the document as a whole ----------------------------------------------------------------

    def _check_header(self) -> None:
        version = self.plan.get("format_version")
        if version is not None and not str(version).startswith("1."):
            self.gap(f"plan format_version {version} is not 1.x; it was read as 1.x and may be misread")
        if self.plan.get("errored") is True:
            self.gap("the plan is marked errored: Terraform could not finish planning, so resources may be missing")
        if self.plan.get("complete") is False:
            self.gap("the plan is marked incomplete (deferred changes): resources it has not planned yet are missing")

    def _index_changes(self) -> dict[str, Any]:
        changes = self.plan.get("resource_changes", [])
        if not isinstance(changes, list):
            self.gap("the plan's resource_changes is not a list; values known only after apply may read as absent")
            return {}
        index: dict[str, Any] = {}
        for change in changes:
            # Deposed objects share the address of the planned object but are on their way out.
            if not isinstance(change, dict) or change.get("deposed") or not isinstance(change.get("address"), str):
                continue
            body = change.get("change")
            if isinstance(body, dict):
                index[change["address"]] = body.get("after_unknown")
        return index

    def _has_planned_changes(self) -> bool:
        changes = self.plan.get("resource_changes")
        if not isinstance(changes, list):
            return False
        return any(
            isinstance(c, dict) and c.get("mode") == "managed"
            and _dict(c.get("change")).get("actions") not in (["delete"], ["forget"])
            for c in changes
        )

    def _planned(self, module: Any, where: str, depth: int) -> Iterator[Any]:
        if not isinstance(module, dict):
            self.gap(f"a planned module in {where} is not an object; its resources were not scanned")
            return
        if depth > _MAX_MODULE_DEPTH:
            self.gap(f"{where}: modules nested too deeply; resources below it were not scanned")
            return
        resources = module.get("resources", [])
        if isinstance(resources, list):
            yield from resources
        else:
            self.gap(f"planned resources of {where} are not a list; they were not scanned")
        children = module.get("child_modules", [])
        if not isinstance(children, list):
            self.gap(f"planned child modules of {where} are not a list; they were not scanned")
            return
        for child in children:
            name = child.get("address") if isinstance(child, dict) else None
            yield from self._planned(child, name if isinstance(name, str) else f"a child of {where}", depth + 1)

    # --- one resource ---------------------------------------------------------------------------

    def _resource(self, raw: Any) -> ResourceRecord | None:
        if not isinstance(raw, dict):
            self.gap("a planned resource is not an object; it was not scanned")
            return None
        address = raw.get("address")
        if not isinstance(address, str) or not address:
            self.gap(f"a planned resource of type {raw.get('type')!r} has no address; it was not scanned")
            return None
        mode = raw.get("mode")
        if mode == "data":
            return None
        if mode != "managed":
            self.gap(f"{address}: planned resource has mode {mode!r}, not managed or data; it was not scanned")
            return None
        resource_type, values = raw.get("type"), raw.get("values")
        if not isinstance(resource_type, str) or not resource_type:
            self.gap(f"{address}: planned resource has no type; it was not scanned")
            return None
        if not isinstance(values, dict):
            self.gap(f"{address}: planned resource has no values object; it was not scanned")
            return None
        parsed = _parse_address(address)
        if parsed is None:
            self.gap(f"{address}: not a resource address Terraform would write; it was not scanned")
            return None
        modules, name = parsed
        config = self._config_resource(_call_path(modules), resource_type, name)
        expressions = _dict(config.get("expressions")) if config is not None else None
        values = self._with_unknowns(address, modules, values, expressions)
        return ResourceRecord(
            address=address,
            type=resource_type,
            values=values,
            placement=self._provider(config, resource_type, address),
            source=SourceRef(self.path, None, address),
            provenance={attribute: (f"{attribute} (plan planned_values)",) for attribute in values},
            module_path=_module_address(modules),
        )

    def _with_unknowns(
        self, address: str, modules: tuple[str, ...], values: dict[str, Any], expressions: dict | None
    ) -> dict[str, Any]:
        marker = self.after_unknown.get(address)
        if not isinstance(marker, dict):
            return values
        if expressions is not None:
            # A top-level attribute unknown after apply that nobody configured is computed by the provider:
            # a `region` filled in from the provider (aws_s3_bucket before v6, whose Unknown would hide the
            # region the plan does record), or the legacy inline `replication_configuration` that a separate
            # resource manages. Configured values that are unknown stay Unknown.
            marker = {k: v for k, v in marker.items() if k in expressions or values.get(k) is not None}
        instance = re.search(r"(\[[^\]]*\])$", address)
        key = instance.group(1) if instance else None
        overlay = _Overlay(address, lambda references: self._reference_target(references, modules, key))
        result = overlay.apply(values, marker, (), expressions)
        return result if isinstance(result, dict) else values

    def _reference_target(
        self, references: list[Any], modules: tuple[str, ...], instance: str | None = None
    ) -> tuple[str, str | None] | None:
        """The resource (its address from the root) and attribute a computed value comes from, if one does.

        ``aws_s3_bucket.replica[each.key].arn`` is recorded as references to ``aws_s3_bucket.replica`` and
        ``each.key``: the instance is the referring resource's own key (``instance``).
        """
        target = _resource_reference(references)
        if target is not None:
            prefix = _module_address(modules)
            resource = target[0]
            per_instance = any(isinstance(r, str) and r.split(".")[0] in ("each", "count") for r in references)
            if instance and per_instance and not resource.endswith("]"):
                resource += instance
            return (f"{prefix}.{resource}" if prefix else resource), target[1]
        traversal = _single_traversal(references)
        if not modules or traversal is None or traversal[0] != "var" or len(traversal) != 2:
            return None
        # `bucket = var.destination_arn` in a module: the caller's argument says which resource it is.
        call = self._module_call(_call_path(modules))
        argument = _dict(call.get("expressions")).get(traversal[1]) if call is not None else None
        outer = argument.get("references") if isinstance(argument, dict) else None
        return self._reference_target(outer, modules[:-1]) if isinstance(outer, list) else None

    def _config_resource(self, call_path: tuple[str, ...], resource_type: str, name: str) -> dict | None:
        if call_path not in self._config_resources:
            index: dict[tuple[str, str], dict] = {}
            module = self._config_module(call_path)
            resources = module.get("resources") if module is not None else None
            for entry in resources if isinstance(resources, list) else []:
                if isinstance(entry, dict) and entry.get("mode", "managed") == "managed":
                    index[(str(entry.get("type")), str(entry.get("name")))] = entry
            self._config_resources[call_path] = index
        return self._config_resources[call_path].get((resource_type, name))

    def _config_module(self, call_path: tuple[str, ...]) -> dict | None:
        if not call_path:
            return _dict(self.config.get("root_module"))
        call = self._module_call(call_path)
        return _dict(call.get("module")) if call is not None else None

    def _module_call(self, call_path: tuple[str, ...]) -> dict | None:
        module = _dict(self.config.get("root_module"))
        call: dict | None = None
        for name in call_path:
            found = _dict(module.get("module_calls")).get(name)
            if not isinstance(found, dict):
                return None
            call = found
            module = _dict(found.get("module"))
        return call

    # --- providers ------------------------------------------------------------------------------

    def _provider(self, config: dict | None, resource_type: str, address: str) -> Placement:
        key = config.get("provider_config_key") if config is not None else None
        if not isinstance(key, str) or not key:
            local = resource_type.split("_", 1)[0]
            why = "the plan's configuration does not list it" if config is None else "it names no provider"
            return Placement(
                key=local,
                region=Resolved(
                    Unknown(f"provider {local} region could not be resolved from the plan: "
                            f"no provider configuration found for {address} ({why})"),
                    (f"provider {local} (not in {_CONFIG})",),
                ),
            )
        if key not in self._providers:
            self._providers[key] = self._provider_for_key(key)
        return self._providers[key]

    def _provider_for_key(self, key: str) -> Placement:
        hops: list[str] = []
        current, seen = key, {key}
        while True:
            found = self._provider_entry(current)
            if found is None:
                return _unresolved_provider(key, current, hops)
            entry_key, entry = found
            parent = entry.get("parent_key")
            if not isinstance(parent, str) or not parent:
                break
            if parent in seen:
                hops.append(f"provider {entry_key} is passed in from {parent}, which loops back")
                return _unresolved_provider(key, parent, hops)
            # Terraform itself folds passed-in providers into the resource's key; other producers may not.
            hops.append(f"provider {entry_key} is passed in from {parent} ({_CONFIG})")
            seen.add(parent)
            current = parent
        scope = _provider_scope(entry_key, entry)
        expressions = _dict(entry.get("expressions"))
        steps = (*hops, f"provider {entry_key} ({_CONFIG})")
        return Placement(
            key=entry_key,
            region=self._setting(expressions, "region", scope, entry_key, steps),
            default_tags=self._default_tags(expressions, scope, entry_key),
            extra={name: self._setting(expressions, name, scope, entry_key, steps) if name in expressions
                   else Resolved(None, steps) for name in PLACEMENT_SETTINGS},
            own_accounts=self._own_accounts(expressions, scope),
        )

    def _own_accounts(self, expressions: dict, scope: tuple[str, ...]) -> tuple[Any, ...]:
        """What a provider configuration says about the accounts it deploys to or as."""
        found: list[Any] = []
        for name in ("allowed_account_ids", "subscription_id", "tenant_id"):
            if name in expressions:
                value = self._evaluate(expressions[name], scope, [])
                found.extend(value if isinstance(value, list) else [value])
        for block in expressions.get("assume_role") or []:
            if isinstance(block, dict) and "role_arn" in block:
                found.append(self._evaluate(block["role_arn"], scope, []))
        return tuple(v for v in found if v is not None)

    def _provider_entry(self, key: str) -> tuple[str, dict] | None:
        configs = _dict(self.config.get("provider_config"))
        if isinstance(configs.get(key), dict):
            return key, configs[key]
        # Terraform before 1.2 wrote `net:aws` where later versions write `module.net:aws`.
        wanted = _normal_provider_key(key)
        for candidate, entry in configs.items():
            if isinstance(entry, dict) and _normal_provider_key(candidate) == wanted:
                return candidate, entry
        return None

    def _setting(
        self, expressions: dict, name: str, scope: tuple[str, ...], key: str, steps: tuple[str, ...]
    ) -> Resolved:
        expr = expressions.get(name)
        if expr is None:
            return Resolved(None, steps)
        trace: list[str] = []
        value = self._evaluate(expr, scope, trace)
        if value is not None and not isinstance(value, str | Unknown):
            value = Unknown(f"it is {_show(value)}, not a string")
        if isinstance(value, Unknown):
            value = Unknown(f"provider {key} {name} could not be resolved from the plan: {value.reason}")
        return Resolved(value, (*steps, *trace))

    def _default_tags(self, expressions: dict, scope: tuple[str, ...], key: str) -> Mapping[str, Any]:
        blocks = expressions.get("default_tags")
        if blocks is None:
            return {}
        tags: dict[str, Any] = {}
        for block in blocks if isinstance(blocks, list) else [blocks]:
            expr = _dict(block).get("tags")
            if expr is None:
                continue
            value = self._evaluate(expr, scope, [])
            if value is not None and not isinstance(value, dict | Unknown):
                value = Unknown(f"it is {_show(value)}, not a map")
            if isinstance(value, Unknown):
                reason = f"provider {key} default_tags could not be resolved from the plan: {value.reason}"
                return {"__unknown__": Unknown(reason)}
            tags.update(value or {})
        return tags

    # --- expressions in the configuration -------------------------------------------------------

    def _evaluate(self, expr: Any, scope: tuple[str, ...], trace: list[str]) -> Any:
        """The value of a configuration expression, where the plan records enough to know it."""
        if not isinstance(expr, dict):
            return Unknown("the plan records no expression for it")
        references = expr.get("references")
        if not references:
            if "constant_value" in expr:
                return expr["constant_value"]
            return Unknown("it is computed by an expression the plan does not record")
        traversal = _single_traversal(references)
        if traversal is None:
            return Unknown(f"it combines {', '.join(map(str, references))}")
        root, name, rest = traversal[0], traversal[1], traversal[2:]
        if root != "var" or not isinstance(name, str):
            return Unknown(f"it refers to {references[0]}, whose value a plan does not record")
        # The plan says which variable an expression reads, not how: `var.x` and `"${var.x}-2"` look alike.
        value = _navigate(self._variable(name, scope, trace), rest, references[0])
        return value

    def _variable(self, name: str, scope: tuple[str, ...], trace: list[str]) -> Any:
        if not scope:
            entry = self.variables.get(name)
            if not isinstance(entry, dict) or "value" not in entry:
                trace.append(f"var.{name} (not in plan variables)")
                return Unknown(f"var.{name} has no value in the plan's variables")
            trace.append(f"var.{name} = {_show(entry['value'])} (plan variables)")
            return entry["value"]
        module_address = _module_address(scope)
        call = self._module_call(scope)
        if call is None:
            return Unknown(f"{module_address} is not in the plan's configuration")
        argument = _dict(call.get("expressions")).get(name)
        if argument is not None:
            inner: list[str] = []
            value = self._evaluate(argument, scope[:-1], inner)
            trace.append(f"var.{name} = {_show(value)} (argument of {module_address}, {_CONFIG})")
            trace.extend(inner)
            return value
        declared = _dict(_dict(_dict(call.get("module")).get("variables")).get(name))
        if "default" in declared:
            trace.append(f"var.{name} = {_show(declared['default'])} (default in {module_address}, {_CONFIG})")
            return declared["default"]
        return Unknown(f"var.{name} of {module_address} has neither an argument nor a default in the plan")


class _Overlay:
    """Puts ``Unknown`` wherever ``after_unknown`` marks a value Terraform learns only on apply.

    Copy on write: only the dicts and lists on the path to an unknown are copied, so the plan's own
    values are never changed (and never deep-copied: a 10,000-resource plan spent a second doing that)."""

    def __init__(self, address: str, target: Callable[[list[Any]], tuple[str, str | None] | None]) -> None:
        self.address = address
        self.target = target

    def apply(self, value: Any, marker: Any, path: tuple[Step, ...], expr: Any) -> Any:
        if marker is True:
            return self.unknown(path, expr) if value is None else value
        if isinstance(marker, dict) and (value is None or isinstance(value, dict)):
            result = dict(value or {})
            for key, inner in marker.items():
                if _marks_unknown(inner):
                    result[key] = self.apply(result.get(key), inner, (*path, key), _expression_at(expr, key))
            return result if value is not None or result else value
        if isinstance(marker, list) and (value is None or isinstance(value, list)):
            items = list(value or [])
            for index, inner in enumerate(marker):
                if _marks_unknown(inner):
                    # Terraform keeps unknown list elements as nulls so indexes line up; pad if a producer did not.
                    items.extend([None] * (index + 1 - len(items)))
                    items[index] = self.apply(items[index], inner, (*path, index), _expression_at(expr, index))
            return items if value is not None or items else value
        return value

    def unknown(self, path: tuple[Step, ...], expr: Any) -> Unknown:
        reason = f"{_join_path(self.address, path)} is known only after apply"
        references = expr.get("references") if _is_expression(expr) else None
        target = self.target(references) if isinstance(references, list) else None
        if target is None:
            return Unknown(reason)
        return Unknown(reason, ref=target[0], attribute=target[1])


# --- helpers ------------------------------------------------------------------------------------


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _address_of(raw: Any) -> str:
    address = raw.get("address") if isinstance(raw, dict) else None
    return address if isinstance(address, str) else "a planned resource"


def _unresolved_provider(key: str, missing: str, hops: list[str]) -> Placement:
    reason = (
        f"provider {key} region could not be resolved from the plan: configuration.provider_config has no "
        f"entry {missing!r} (older Terraform versions do not record which provider a module is given; "
        "re-create the plan JSON with a recent Terraform)"
    )
    return Placement(key=key, region=Resolved(Unknown(reason), (*hops, f"provider {missing} (not in {_CONFIG})")))


def _provider_scope(key: str, entry: dict) -> tuple[str, ...]:
    """The module whose variables a provider's expressions read, as module call names."""
    module_address = entry.get("module_address")
    if isinstance(module_address, str) and module_address:
        return _call_names(module_address)
    prefix, sep, _ = key.rpartition(":")
    return _call_names(prefix) if sep else ()


def _normal_provider_key(key: str) -> str:
    prefix, sep, name = key.rpartition(":")
    if not sep:
        return key
    return f"{_module_address(_call_names(prefix))}:{name}"


def _call_names(module_address: str) -> tuple[str, ...]:
    """``module.a.module.b`` (or the older ``a.b``) as ``("a", "b")``, instance keys dropped."""
    parts = _segments(module_address)
    if len(parts) % 2 == 0 and parts and all(p == "module" for p in parts[0::2]):
        parts = parts[1::2]
    return tuple(p.split("[", 1)[0] for p in parts)


def _module_address(modules: tuple[str, ...]) -> str:
    """``("a[0]", "b")`` as ``module.a[0].module.b``."""
    return ".".join(f"module.{name}" for name in modules)


def _call_path(modules: tuple[str, ...]) -> tuple[str, ...]:
    """Module instances as the module calls in the configuration: ``("a[0]", "b")`` is ``("a", "b")``."""
    return tuple(m.split("[", 1)[0] for m in modules)


def _parse_address(address: str) -> tuple[tuple[str, ...], str] | None:
    """A managed resource address as its module instances (``a[0]``, ``b``) and the resource name."""
    parts = _segments(address)
    modules: list[str] = []
    while len(parts) > 2 and parts[0] == "module":
        modules.append(parts[1])
        parts = parts[2:]
    if len(parts) != 2 or not all(parts):
        return None
    return tuple(modules), parts[1].split("[", 1)[0]


def _segments(text: str) -> list[str]:
    """Split on dots outside instance keys: ``module.a["x.y"].b[0]`` is ``module``, ``a["x.y"]``, ``b[0]``."""
    if "[" not in text:
        return text.split(".")  # no instance key, so no dot inside one: most addresses of a large plan
    parts: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in text:
        if quoted:
            escaped, quoted = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "." and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _traversal(reference: str) -> list[Step] | None:
    steps: list[Step] = []
    position = 0
    while position < len(reference):
        match = _TRAVERSAL_STEP.match(reference, position)
        if match is None or (position == 0 and reference.startswith(".")):
            return None
        name, index, key = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        else:
            try:
                steps.append(json.loads(f'"{key}"'))
            except ValueError:
                steps.append(key)
        position = match.end()
    return steps if len(steps) >= 2 else None


def _single_traversal(references: Any) -> list[Step] | None:
    """The most specific reference, when every reference is into one and the same object."""
    if not isinstance(references, list):
        return None
    parsed = [_traversal(r) if isinstance(r, str) else None for r in references]
    if any(p is None for p in parsed) or not parsed:
        return None
    roots = {tuple(p[:2]) for p in parsed if p is not None}
    if len(roots) != 1:
        return None
    return max((p for p in parsed if p is not None), key=len)


def _navigate(value: Any, steps: list[Step], reference: str) -> Any:
    for step in steps:
        if isinstance(value, Unknown):
            return value
        if not _has_step(value, step):
            return Unknown(f"{reference} is not in the variable's value")
        value = value[step]
    return value


def _has_step(value: Any, step: Step) -> bool:
    if isinstance(value, dict):
        return isinstance(step, str) and step in value
    return isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value)


def _resource_reference(references: list[Any]) -> tuple[str, str | None] | None:
    """The one resource a computed value comes from, and which of its attributes, if references say so."""
    found: dict[str, tuple[str, str | None]] = {}
    for reference in references:
        if not isinstance(reference, str):
            continue
        parts = _segments(reference)
        size = 3 if parts[0] == "data" else 2
        if len(parts) < size or parts[0] in _NOT_RESOURCES or not all(parts[:size]):
            continue
        resource = ".".join(parts[:size])
        containing = ".".join([*parts[: size - 1], parts[size - 1].split("[", 1)[0]])
        attribute = parts[size].split("[", 1)[0] if len(parts) > size else None
        # Terraform lists the longest form first (`aws_s3_bucket.r.arn` before `aws_s3_bucket.r`); keep it.
        found.setdefault(containing, (resource, attribute))
    return next(iter(found.values())) if len(found) == 1 else None


def _is_expression(expr: Any) -> bool:
    """An expression leaf (as opposed to a nested block's attributes)."""
    return isinstance(expr, dict) and bool(expr) and set(expr) <= {"constant_value", "references"}


def _expression_at(expr: Any, step: Step) -> Any:
    if _is_expression(expr):
        return expr  # one expression yields the whole value below it (a map, an object attribute)
    if isinstance(expr, dict) and isinstance(step, str):
        return expr.get(step)
    if isinstance(expr, list) and isinstance(step, int) and 0 <= step < len(expr):
        return expr[step]
    return None


def _marks_unknown(marker: Any) -> bool:
    if marker is True:
        return True
    if isinstance(marker, dict):
        return any(_marks_unknown(m) for m in marker.values())
    if isinstance(marker, list):
        return any(_marks_unknown(m) for m in marker)
    return False


def _join_path(address: str, path: tuple[Step, ...]) -> str:
    text = address
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _IDENTIFIER.fullmatch(step):
            text += f".{step}"
        else:
            text += f"[{json.dumps(step)}]"
    return text


def _show(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"unknown ({value.reason})"
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
