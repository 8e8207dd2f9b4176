"""Evaluate HCL expressions far enough to place resources: variables, locals, references, functions.

The evaluator is deliberately partial. Whatever it cannot compute becomes an ``Unknown`` that says
what input is missing; it never guesses. References are answered by a ``ReferenceResolver`` (the
module scope in ``hcl_module``), so this module knows nothing of modules; the filesystem functions read
through the resolver's ``file_access`` (the scanned tree), and without one they are unknown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from providers.semantics.records import Unknown, first_unknown
from providers.terraform import hcl_syntax as syn
from providers.terraform.functions import FUNCTIONS, NOT_EVALUATED, FunctionError
from providers.terraform.functions.filesystem import FUNCTIONS as FILESYSTEM
from providers.terraform.functions.filesystem import FileAccess
from providers.terraform.templates import For, If, Interpolation, Node, TemplateError, parse_template
from providers.terraform.values import ResourceObject

Trace = list[str]
"""Collects the references an evaluation went through, for provenance."""


class ReferenceResolver(Protocol):
    """Answers the roots of references (``var``, ``local``, ``module``, resources) in one module."""

    def reference(self, root: str, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        """Resolve ``root.steps...``; return the value and how many steps it consumed."""
        ...


def evaluate(
    expr: syn.Expr,
    resolver: ReferenceResolver,
    trace: Trace | None = None,
    bound: Mapping[str, Any] | None = None,
) -> Any:
    """The value of an expression, with ``Unknown`` where it cannot be computed statically."""
    return _Evaluation(resolver, trace if trace is not None else [], dict(bound or {})).value(expr)


MAX_STEPS = 100_000
"""Iterations of ``for`` expressions one evaluation may take: a product of two large collections would
otherwise run for hours. Past it the value is unknown, with the reason."""


MAX_STRING = 1_000_000
"""Characters a template may build: no region, name or tag is near it, and a repeated interpolation could
otherwise fill memory."""


class _Evaluation:
    def __init__(self, resolver: ReferenceResolver, trace: Trace, bound: dict[str, Any],
                 budget: list[int] | None = None) -> None:
        self.resolver = resolver
        self.trace = trace
        self.bound = bound
        self.budget = budget if budget is not None else [MAX_STEPS]
        """Iterations left, shared with the nested evaluations of ``for`` bodies."""

    def value(self, expr: syn.Expr) -> Any:
        match expr:
            case syn.Literal(value=value):
                return value
            case syn.Template(parts=parts):
                return self.template(parts)
            case syn.Variable() | syn.GetAttr() | syn.Index():
                return self.reference(expr)
            case syn.Splat(obj=obj, steps=steps):
                return self.splat(obj, steps)
            case syn.Call(name=name, args=args, expand=expand):
                return self.call(name, args, expand)
            case syn.TupleExpr(items=items):
                return [self.value(item) for item in items]
            case syn.ObjectExpr(items=items):
                return self.object(items)
            case syn.BinaryOp(op=op, left=left, right=right):
                return _binary(op, self.value(left), self.value(right))
            case syn.UnaryOp(op=op, operand=operand):
                return _unary(op, self.value(operand))
            case syn.Conditional(condition=condition, yes=yes, no=no):
                chosen = self.value(condition)
                if isinstance(chosen, Unknown):
                    return Unknown(f"the condition depends on {chosen.reason}")
                return self.value(yes if chosen else no)
            case syn.ForExpr():
                return self.for_expr(expr)
            case syn.Opaque(text=text):
                return Unknown(f"unsupported HCL syntax ({text})")
            case syn.TooLarge(reason=reason):
                return Unknown(reason)
        return Unknown(f"unsupported expression {type(expr).__name__}")

    def template(self, parts: tuple[str | syn.Expr, ...]) -> Any:
        if len(parts) == 1 and not isinstance(parts[0], str):
            # "${x}" alone keeps x's type, as Terraform does.
            return self.value(parts[0])
        pieces = []
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self.value(part)
            if isinstance(value, Unknown):
                return _built_from(value)
            if isinstance(value, dict | list):
                return Unknown("a collection interpolated into a string")
            pieces.append(_to_string(value))
        text = "".join(pieces)
        if len(text) > MAX_STRING:
            return Unknown(f"a string template builds {len(text):,} characters, more than the {MAX_STRING:,} "
                           "offshore-scan keeps")
        return text

    def object(self, items: tuple[tuple[syn.Expr, syn.Expr], ...]) -> Any:
        result: dict[str, Any] = {}
        for key_expr, value_expr in items:
            key = self.value(key_expr)
            if isinstance(key, Unknown):
                return Unknown(f"an object key depends on {key.reason}")
            result[_to_string(key)] = self.value(value_expr)
        return result

    def reference(self, expr: syn.Expr) -> Any:
        root, steps = self.flatten(expr)
        if isinstance(root, Unknown):
            return root
        if root in self.bound:
            return _walk(self.bound[root], steps)
        value, used = self.resolver.reference(root, steps, self.trace)
        return _walk(value, steps[used:])

    def flatten(self, expr: syn.Expr) -> tuple[Any, list[Any]]:
        steps: list[Any] = []
        while True:
            match expr:
                case syn.GetAttr(obj=obj, name=name):
                    steps.append(name)
                    expr = obj
                case syn.Index(obj=obj, key=key):
                    index = self.value(key)
                    if isinstance(index, Unknown):
                        return index, []
                    steps.append(index)
                    expr = obj
                case syn.Variable(name=name):
                    steps.reverse()
                    return name, steps
                case _:
                    # An index or attribute on a computed value, e.g. merge(...)["k"]
                    base = self.value(expr)
                    steps.reverse()
                    return "", [base, *steps]

    def splat(self, obj: syn.Expr, steps: tuple[str | syn.Expr, ...]) -> Any:
        base = self.value(obj)
        if isinstance(base, Unknown):
            return base
        if base is None:
            return []
        items = base if isinstance(base, list) else [base]
        keys = [s if isinstance(s, str) else self.value(s) for s in steps]
        return [_walk(item, keys) for item in items]

    def call(self, name: str, arg_exprs: tuple[syn.Expr, ...], expand: bool) -> Any:
        short = name.removeprefix("provider::terraform::")
        if short == "try":
            return self.try_call(arg_exprs)
        if short == "can":
            return self.can_call(arg_exprs)
        if short == "templatestring":
            return self.templatestring(arg_exprs)
        access: FileAccess | None = getattr(self.resolver, "file_access", None)
        if short == "templatefile" and access is not None:
            return self.templatefile(arg_exprs, access)
        if short in NOT_EVALUATED and (short not in FILESYSTEM or access is None):
            return Unknown(f"{name}() {NOT_EVALUATED[short]}")
        function = functools.partial(FILESYSTEM[short], access) if short in FILESYSTEM else FUNCTIONS.get(short)
        if function is None:
            return _Failed(f"{name}() is not a Terraform function")
        args = [self.value(a) for a in arg_exprs]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return last
            if not isinstance(last, list | dict):
                return _Failed(f"{name}(...): only a list or object can be expanded")
            args.extend(last if isinstance(last, list) else last.values())
        if short not in _UNKNOWN_TOLERANT:
            # A function that only rearranges containers is known when they are, whatever is unknown
            # inside their elements (flatten([{bucket = aws_s3_bucket.r.arn}]) has one element).
            look = _unknown_in_containers if short == "flatten" else _unknown_itself if short in _STRUCTURAL \
                else first_unknown
            unknown = next((u for u in (look(a) for a in args) if u is not None), None)
            if unknown is not None:
                return unknown if short in _PASS_THROUGH else _built_from(unknown)
        try:
            result = function(*args)
            if short in FILESYSTEM and isinstance(result, Unknown):
                return Unknown(f"{name}(): {result.reason}")
            return result
        except FunctionError as error:
            return _Failed(f"{name}(): {error}")
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as error:
            return _Failed(f"{name}() could not be evaluated: {error}")

    def try_call(self, arg_exprs: tuple[syn.Expr, ...]) -> Any:
        # try() returns the first argument that evaluates without error, wherever the error is inside it
        # (try([var.c["rule"]], ...) fails inside the list); an unknown argument could still succeed at
        # apply time, so it stops the search.
        for arg in arg_exprs:
            value = self.value(arg)
            if _first_failure(value) is not None:
                continue
            return value
        return _Failed("no argument of try() could be evaluated")

    def can_call(self, arg_exprs: tuple[syn.Expr, ...]) -> Any:
        if len(arg_exprs) != 1:
            return _Failed("can() takes one argument")
        value = self.value(arg_exprs[0])
        if _first_failure(value) is not None:
            return False
        unknown = first_unknown(value)
        return unknown if unknown is not None else True

    def templatestring(self, arg_exprs: tuple[syn.Expr, ...]) -> Any:
        if len(arg_exprs) != 2:
            return _Failed("templatestring() takes a template and an object of variables")
        template, variables = (self.value(a) for a in arg_exprs)
        for value in (template, variables):
            if isinstance(value, Unknown):
                return value
        if not isinstance(template, str) or not isinstance(variables, dict):
            return _Failed("templatestring() takes a string and an object")
        return self.render("templatestring()", template, variables)

    def templatefile(self, arg_exprs: tuple[syn.Expr, ...], access: FileAccess) -> Any:
        if isinstance(self.resolver, _OnlyBound):
            return _Failed("templatefile() cannot be called from inside a template")
        if len(arg_exprs) != 2:
            return _Failed("templatefile() takes a path and an object of variables")
        path, variables = (self.value(a) for a in arg_exprs)
        for value in (path, variables):
            if isinstance(value, Unknown):
                return _built_from(value)
        if not isinstance(path, str) or not isinstance(variables, dict):
            return _Failed("templatefile() takes a path and an object")
        try:
            text = access.text(path)
        except FunctionError as error:
            return _Failed(f"templatefile(): {error}")
        if isinstance(text, Unknown):
            return Unknown(f"templatefile(): {text.reason}")
        return self.render(f"templatefile({path!r})", text, variables)

    def render(self, what: str, template: str, variables: dict[str, Any]) -> Any:
        """A template's text with ``variables`` (and nothing else of the configuration) in scope."""
        try:
            nodes = parse_template(template)
        except TemplateError as error:
            return _Failed(f"{what}: {error}")
        inner = _Evaluation(_OnlyBound(getattr(self.resolver, "file_access", None)), self.trace, dict(variables),
                            self.budget)
        pieces: list[str] = []
        result = inner.render_nodes(nodes, pieces)
        if result is not None:
            return result
        text = "".join(pieces)
        if len(text) > MAX_STRING:
            return Unknown(f"{what} builds {len(text):,} characters, more than the {MAX_STRING:,} offshore-scan keeps")
        return text

    def render_nodes(self, nodes: tuple[Node, ...], out: list[str]) -> Unknown | None:
        """Append the rendering of ``nodes`` to ``out``; an unknown that stops it, or None."""
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, Interpolation):
                value = self.value(node.expr)
                if isinstance(value, Unknown):
                    return _built_from(value)
                if isinstance(value, dict | list):
                    return _Failed("a collection interpolated into a template (use jsonencode or yamlencode)")
                out.append(_to_string(value))
            elif isinstance(node, If):
                chosen = self.value(node.condition)
                if isinstance(chosen, Unknown):
                    return Unknown(f"a template's %{{ if }} depends on {chosen.reason}")
                stopped = self.render_nodes(node.then if chosen else node.otherwise, out)
                if stopped is not None:
                    return stopped
            else:
                stopped = self.render_for(node, out)
                if stopped is not None:
                    return stopped
            if sum(len(piece) for piece in out) > MAX_STRING:
                return Unknown(f"a template builds more than the {MAX_STRING:,} characters offshore-scan keeps")
        return None

    def render_for(self, node: For, out: list[str]) -> Unknown | None:
        collection = self.value(node.collection)
        if isinstance(collection, Unknown):
            return Unknown(f"a template's %{{ for }} is over {collection.reason}")
        if not isinstance(collection, dict | list):
            return _Failed("a template's %{ for } is over a value that is not a collection")
        self.budget[0] -= len(collection)
        if self.budget[0] < 0:
            return Unknown(f"a template's %{{ for }} takes this evaluation past the {MAX_STEPS:,} iterations "
                           "offshore-scan evaluates")
        pairs = collection.items() if isinstance(collection, dict) else enumerate(collection)
        for key, item in pairs:
            bound = dict(self.bound)
            bound[node.value_var] = item
            if node.key_var is not None:
                bound[node.key_var] = key
            stopped = _Evaluation(self.resolver, self.trace, bound, self.budget).render_nodes(node.body, out)
            if stopped is not None:
                return stopped
        return None

    def for_expr(self, expr: syn.ForExpr) -> Any:
        if self.budget[0] <= 0:
            return Unknown(f"this evaluation is past the {MAX_STEPS:,} for-expression iterations offshore-scan "
                           "evaluates")
        collection = self.value(expr.collection)
        if isinstance(collection, Unknown):
            return collection
        if isinstance(collection, dict):
            pairs = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return Unknown("a for expression over a value that is not a collection")
        result_list: list[Any] = []
        result_map: dict[str, Any] = {}
        self.budget[0] -= len(pairs)
        if self.budget[0] < 0:
            return Unknown(f"a for expression over {len(pairs):,} elements takes this evaluation past the "
                           f"{MAX_STEPS:,} iterations offshore-scan evaluates")
        for key, item in pairs:
            bound = dict(self.bound)
            bound[expr.value_var] = item
            if expr.key_var is not None:
                bound[expr.key_var] = key
            inner = _Evaluation(self.resolver, self.trace, bound, self.budget)
            if expr.condition is not None:
                keep = inner.value(expr.condition)
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            value = inner.value(expr.value)
            if expr.key is None:
                result_list.append(value)
                continue
            map_key = inner.value(expr.key)
            if isinstance(map_key, Unknown):
                return map_key
            if expr.grouping:
                result_map.setdefault(_to_string(map_key), []).append(value)
            else:
                result_map[_to_string(map_key)] = value
        return result_list if expr.key is None else result_map


class _Failed(Unknown):
    """An evaluation error (as opposed to a value unknown until apply); only ``try`` and ``can`` see the
    difference."""


def failed(reason: str) -> Unknown:
    """An evaluation error raised outside this module (an instance that does not exist), which ``try`` and
    ``can`` catch as they catch Terraform's errors."""
    return _Failed(reason)


class _OnlyBound:
    """A template given to ``templatestring`` or ``templatefile`` sees only the variables passed with it (and
    may read files, as the configuration around it may)."""

    def __init__(self, file_access: FileAccess | None = None) -> None:
        self.file_access = file_access

    def reference(self, root: str, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        return _Failed(f"a template refers to {root}, which is not among its variables"), len(steps)


def _first_failure(value: Any) -> Unknown | None:
    """The first evaluation error anywhere inside a value (a list or object built around one fails too)."""
    return first_unknown(value, _Failed)


# Functions that look inside their arguments and handle unknowns themselves.
_UNKNOWN_TOLERANT = {"coalesce", "lookup", "merge", "jsonencode"}

# Functions whose result, when an argument is unknown, is still that argument's value (not one built from it).
_PASS_THROUGH = _UNKNOWN_TOLERANT | {"one", "element", "tostring", "tolist", "toset", "tomap", "sensitive",
                                     "nonsensitive", "flatten", "concat", "coalescelist", "compact", "distinct"}


def _built_from(unknown: Unknown) -> Unknown:
    """An unknown for a value computed from ``unknown`` (a template or function around it)."""
    if unknown.ref is None or not unknown.exact or isinstance(unknown, _Failed):
        return unknown
    return Unknown(unknown.reason, ref=unknown.ref, attribute=unknown.attribute, exact=False)


# Functions whose result depends on the shape of their containers, not on the values in them.
_STRUCTURAL = {"flatten", "concat", "coalescelist", "element", "one", "keys", "length", "slice", "reverse",
               "tolist", "tomap", "chunklist", "values",
               # compact() drops nulls and empty strings: an unknown element stays (it may be neither), and the
               # known ones beside it are kept (a module merging policy documents keeps every one).
               "compact"}


def _unknown_itself(value: Any) -> Unknown | None:
    """An argument that is unknown as a whole: a list of unknown elements still has a known length and order
    (length([aws_s3_bucket.a.arn, var.unset]) is 2)."""
    return value if isinstance(value, Unknown) else None


def _unknown_in_containers(value: Any) -> Unknown | None:
    """An unknown that decides the shape flatten() builds: the value itself, or an element of a (nested) list,
    which may be a list to splice in."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        for item in value:
            found = _unknown_in_containers(item)
            if found is not None:
                return found
    return None


def _walk(value: Any, steps: list[Any]) -> Any:
    for step in steps:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, dict):
            if step not in value:
                if isinstance(value, ResourceObject):
                    return value.missing(str(step))
                return _Failed(f"no attribute or key {step!r}")
            value = value[step]
        elif isinstance(value, list):
            if isinstance(step, str) and step.isdigit():
                step = int(step)
            if not isinstance(step, int):
                # Attribute access on a list of blocks: Terraform requires an index, but a single
                # block is common enough (replica[0]) that taking the attribute of each is kinder.
                return [_walk(item, [step]) for item in value]
            if step >= len(value) or step < -len(value):
                return _Failed(f"index {step} out of range")
            value = value[step]
        elif value is None:
            return _Failed(f"attribute {step!r} of null")
        else:
            return _Failed(f"attribute {step!r} of a {type(value).__name__}")
    return value


def _to_string(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Attributes a resource always has once it exists: compared with null, they are known to be set, so a module's
# `var.destination != null ? [1] : []` given `aws_sqs_queue.dlq.arn` creates its block (Terraform itself says
# "known after apply", but it will never apply a null there).
_NEVER_NULL = frozenset({"arn", "id"})


def _binary(op: str, left: Any, right: Any) -> Any:
    if op in ("==", "!=") and (left is None) != (right is None):
        other = right if left is None else left
        if isinstance(other, Unknown) and other.ref is not None and other.exact and other.attribute in _NEVER_NULL:
            return op == "!="
    for side in (left, right):
        if isinstance(side, Unknown):
            return side
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "&&": lambda a, b: bool(a) and bool(b),
        "||": lambda a, b: bool(a) or bool(b),
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
        "+": lambda a, b: _number(a) + _number(b),
        "-": lambda a, b: _number(a) - _number(b),
        "*": lambda a, b: _number(a) * _number(b),
        "/": lambda a, b: _number(a) / _number(b),
        "%": lambda a, b: _number(a) % _number(b),
    }
    try:
        return operations[op](left, right)
    except (TypeError, ValueError, ZeroDivisionError) as error:
        return _Failed(f"operator {op}: {error}")


def _unary(op: str, operand: Any) -> Any:
    if isinstance(operand, Unknown):
        return operand
    try:
        return -_number(operand) if op == "-" else not operand
    except (TypeError, ValueError) as error:
        return _Failed(f"operator {op}: {error}")


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int | float):
        return value
    text = str(value)
    return float(text) if "." in text or "e" in text.lower() else int(text)
