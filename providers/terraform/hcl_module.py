"""Terraform configuration (HCL) -> ``ResourceRecord`` records, with modules, providers and variables.

A root module is a directory of ``.tf`` files that no other scanned module calls. Each root is
evaluated with its local child modules inline, so ``module.dr.aws_s3_bucket.copy`` gets the
provider and variables its caller passed. Parsing is done by ``hcl_syntax.parse_hcl`` (pure);
this module decides what each name means.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from providers.semantics.records import PLACEMENT_SETTINGS, Placement, Resolved, Unknown
from providers.semantics.resource_map import computed_from_prefix
from providers.terraform import hcl_syntax as syn
from providers.terraform.expressions import Trace, evaluate, failed
from providers.terraform.functions.filesystem import FileAccess, path_value
from providers.terraform.provider_data import provider_data
from providers.terraform.type_defaults import with_type_defaults
from providers.terraform.values import ResourceObject
from scanner.model import CoverageGap

MAX_INSTANCES = 10_000
"""Instances of one resource or module expanded from count or for_each; past it they are one unknown instance."""

# Meta-arguments, which are not attributes of the resource.
META_ARGUMENTS = frozenset({"provider", "count", "for_each", "depends_on", "lifecycle"})

MAX_MODULE_STEPS = 1_000_000
"""References one module instance may resolve while it is evaluated. A real module takes a few thousand (a
null-label instance about 120); past it the module is a "skipped" coverage gap and its resources are not
scanned, so a configuration that makes evaluation explode ends in a gap, never in a process killed for memory.
Read when a scope is made, so a test can lower it."""

MEMOISE = True
"""Share the evaluation of module instances with the same directory, inputs and providers (see ``ModuleMemo``).
Read when a root scope is made; off, every instance is evaluated on its own (the tests compare the two)."""


@dataclass
class ParsedModule:
    """The files of one module directory, parsed."""

    directory: Path
    files: list[syn.HclFile]

    def blocks(self, block_type: str) -> Iterable[tuple[syn.HclFile, syn.Block]]:
        for hcl_file in self.files:
            for block in hcl_file.blocks:
                if block.type == block_type:
                    yield hcl_file, block


@dataclass
class _VariableValue:
    value: Any
    provenance: tuple[str, ...]


@dataclass(frozen=True)
class _Mark:
    """A provenance step kept symbolic while a scope evaluates its own locals and outputs, so the steps can be
    rebuilt for another instance of the module: ``rel`` is a step of this instance (its address prefix left
    off), ``var``, ``local`` and ``output`` stand for the whole provenance of that input, local or child output
    (``child`` is the child's key, ``net`` or ``vpc["a"]``)."""

    kind: str
    name: str
    child: str = ""


class _OwnTrace(list[Any]):
    """The trace of one scope's own local or output: holds ``_Mark``s besides step strings. Only the scope that
    made it writes marks into it; any other scope handed it sees a list and writes plain steps."""

    def __init__(self, scope: ModuleScope) -> None:
        super().__init__()
        self.scope = scope


@dataclass
class _MemoEntry:
    """What one evaluation of a module (directory, inputs, providers) found, shared by its instances: per
    ``local.NAME``/``output.NAME``, the value with the instance's address made relative and the symbolic
    provenance."""

    values: dict[str, tuple[Any, tuple[Any, ...]]] = field(default_factory=dict)
    exhausted: bool = False
    """Some instance ran out of ``MAX_MODULE_STEPS`` evaluating it: every instance is then a gap."""


class ModuleMemo:
    """Module evaluations shared by the instances of one root, keyed by (directory, input values, providers).

    cloudposse's modules call null-label (``module.this``) in every module and pass ``module.this.context``
    down: a module called twice with the same context is the same evaluation. What is shared is values and
    symbolic provenance; each instance rebuilds its own steps from its own inputs (which say which caller
    passed them), so the records are the same as without the memo. Input provenance is not in the key: two
    calls from different lines pass the same context, and keying on where would make a fan-out exponential.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.entries: dict[tuple[Any, ...], _MemoEntry] = {}
        self.hits = 0
        """Locals and outputs an instance took from another's evaluation."""

    def entry(self, key: tuple[Any, ...]) -> _MemoEntry:
        found = self.entries.get(key)
        if found is None:
            found = self.entries[key] = _MemoEntry()
        return found


_SELF = "\x00this-module\x00"
"""Stands for the instance's own address in a memoised value (an unknown naming one of its resources)."""


@dataclass
class ModuleScope:
    """One instance of a module: its variables, providers and the way back to its caller."""

    module: ParsedModule
    address: str
    """``""`` for a root module, ``module.a`` or ``module.a.module.b`` for children."""
    inputs: dict[str, _VariableValue]
    providers: dict[str, Placement]
    display: Callable[[Path | str], str]
    """Turns a file path into the form the user will recognise."""
    gaps: list[CoverageGap]
    parent: ModuleScope | None = None
    """The calling module's scope (None for a root): the way back, to see module cycles."""
    _locals: dict[str, tuple[syn.Attribute, syn.HclFile]] = field(default_factory=dict)
    _local_values: dict[str, tuple[Any, tuple[str, ...]]] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)
    _reported_blocks: set[int] = field(default_factory=set)
    _resources: dict[str, tuple[syn.Block, syn.HclFile]] = field(default_factory=dict)
    _data: dict[str, tuple[syn.Block, syn.HclFile]] = field(default_factory=dict)
    children: dict[str, ModuleScope] = field(default_factory=dict)
    """Local child module instances by call name and instance key (``net``, ``vpc["a"]``, ``dr[0]``)."""
    module_calls: dict[str, syn.Block] = field(default_factory=dict)
    """Local child modules by call name, linked by the loader."""
    pending_inputs: Callable[[], dict[str, _VariableValue]] | None = None
    """For a child: computes ``inputs`` from the call's arguments on first use. Arguments may name another
    module's outputs (``module.replica.arn``), so they are evaluated only once every sibling is linked."""
    files: FileAccess | None = None
    """What ``file()`` and its kin may read; set on a root module, whose children read it through ``parent``."""
    memo: ModuleMemo | None = None
    """Shared by a root and all its descendants; a root makes one."""
    linked: bool = False
    """Set once the loader has linked this instance's child modules: only then are its values those of every
    instance (before, a reference to a child is not resolved yet), so only then is the memo used, unless it
    calls no module (null-label, which its callers read before it is reached)."""
    steps_left: int = -1
    over_budget: bool = False
    """Its evaluation went past ``MAX_MODULE_STEPS``: its values are unknowns and its resources are not scanned."""
    _outputs: dict[str, tuple[Any, tuple[str, ...]]] = field(default_factory=dict)
    _symbolic: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _entry: _MemoEntry | None = None
    _entry_known: bool = False
    _computing_inputs: bool = False
    _address_pattern: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        if self.memo is None:
            self.memo = self.parent.memo if self.parent is not None else ModuleMemo(MEMOISE)
        if self.steps_left < 0:
            self.steps_left = MAX_MODULE_STEPS
        for hcl_file, block in self.module.blocks("locals"):
            for name, attribute in block.attributes.items():
                self._locals[name] = (attribute, hcl_file)
        for hcl_file, block in self.module.blocks("resource"):
            if len(block.labels) == 2:
                self._resources[".".join(block.labels)] = (block, hcl_file)
        for hcl_file, block in self.module.blocks("data"):
            if len(block.labels) == 2:
                self._data[".".join(block.labels)] = (block, hcl_file)

    # --- the ReferenceResolver protocol ---------------------------------------------------------

    def reference(self, root: str, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        if root == "":
            return steps[0], 1
        self.steps_left -= 1
        if self.steps_left < 0 or self.over_budget:
            self._exhaust()
            return Unknown(f"{self.display_dir()} takes more than the {MAX_MODULE_STEPS:,} evaluation steps "
                           "offshore-scan gives one module"), len(steps)
        if root == "var" and steps:
            return self.variable(str(steps[0]), trace), 1
        if root == "local" and steps:
            return self.local(str(steps[0]), trace), 1
        if root == "module" and steps:
            return self.module_reference(steps, trace)
        if root == "data" and len(steps) >= 2:
            return self.data_source(f"{steps[0]}.{steps[1]}", steps[2:], trace)
        if root == "path":
            return path_value(str(steps[0]) if steps else "", self.module.directory, self.root().module.directory), 1
        if root == "terraform":
            return Unknown("terraform.workspace is chosen at run time"), 1
        if root in ("count", "each", "self"):
            return Unknown(f"{root}.{'.'.join(map(str, steps[:1]))} differs per instance"), 1
        if steps:
            return self.resource_attribute(f"{root}.{steps[0]}", steps[1:], trace)
        return Unknown(f"unknown reference {root}"), 0

    # --- names ---------------------------------------------------------------------------------

    def ensure_inputs(self) -> None:
        if self.pending_inputs is not None:
            # Cleared first: two modules whose arguments name each other's outputs end here, not in a loop.
            compute, self.pending_inputs = self.pending_inputs, None
            self._computing_inputs = True
            try:
                self.inputs = compute()
            finally:
                self._computing_inputs = False

    def variable(self, name: str, trace: Trace) -> Any:
        self.ensure_inputs()
        found = self.inputs.get(name)
        if found is None:
            return Unknown(f"var.{name} is not declared in {self.display_dir()}")
        self._tell(trace, _Mark("var", name), found.provenance)
        return found.value

    def local(self, name: str, trace: Trace) -> Any:
        found = self._local_values.get(name)
        if found is None:
            if name not in self._locals:
                return Unknown(f"local.{name} is not defined in {self.display_dir()}")
            attribute, hcl_file = self._locals[name]
            found = self._memoised(f"local.{name}", attribute.expr,
                                   f"local.{name} ({self.where(hcl_file, attribute.line)})")
            if found is None:
                return Unknown(f"local.{name} refers to itself")
            self._local_values[name] = found
        self._tell(trace, _Mark("local", name), found[1])
        return found[0]

    def output(self, name: str) -> tuple[Any, tuple[str, ...]] | None:
        """An output's value and provenance (its own step first), evaluated once per instance; None when the
        module has no such output."""
        found = self._outputs.get(name)
        if found is not None:
            return found
        for hcl_file, block in self.module.blocks("output"):
            if block.labels == (name,) and "value" in block.attributes:
                attribute = block.attributes["value"]
                found = self._memoised(f"output.{name}", attribute.expr,
                                       f"{name} ({self.where(hcl_file, attribute.line)})")
                if found is None:
                    return (Unknown(f"{self.address}.{name} refers to itself"), ())
                self._outputs[name] = found
                return found
        return None

    # --- evaluating once per module, not per instance ----------------------------------------------

    def _memoised(self, key: str, expr: syn.Expr, head: str) -> tuple[Any, tuple[str, ...]] | None:
        """The value and provenance of one local or output (``key``), from the memo when another instance
        with the same inputs has evaluated it; None when it refers to itself. ``head`` is its own step,
        without this instance's address."""
        entry = self._memo_entry()
        stored = entry.values.get(key) if entry is not None else None
        if stored is not None:
            self.memo.hits += 1  # type: ignore[union-attr]
            relative, symbolic = stored
            value = _rewrite(relative, _SELF, self.address)
        else:
            if key in self._resolving:
                return None
            self._resolving.add(key)
            inner = _OwnTrace(self)
            value = evaluate(expr, self, inner)
            self._resolving.discard(key)
            symbolic = (_Mark("rel", head), *inner)
            if entry is not None and not self.over_budget:
                entry.values[key] = (self._relative(value), symbolic)
        self._symbolic[key] = symbolic
        return value, self._expand(symbolic)

    def _memo_entry(self) -> _MemoEntry | None:
        if self._entry_known:
            return self._entry
        memo = self.memo
        if memo is None or not memo.enabled or not self.address or self._computing_inputs or (
                not self.linked and any(True for _ in self.module.blocks("module"))):
            # A root is one of a kind. Before its child modules are linked (a module that calls none has
            # nothing to link), or while its own arguments are being evaluated, an instance's values are not
            # yet those every instance would have.
            return None
        self.ensure_inputs()
        key = (self.module.directory, _canonical({n: v.value for n, v in self.inputs.items()}),
               _canonical(self.providers))
        self._entry, self._entry_known = memo.entry(key), True
        if self._entry.exhausted:
            self._exhaust()
        return self._entry

    def _tell(self, trace: Trace, mark: _Mark, provenance: tuple[str, ...]) -> None:
        """Add a value's provenance to a trace: as a mark in this scope's own trace, else as its steps."""
        if isinstance(trace, _OwnTrace) and trace.scope is self:
            trace.append(mark)  # type: ignore[arg-type]
        else:
            trace.extend(provenance)

    def _say(self, trace: Trace, relative: str) -> None:
        """Add one step of this instance (``relative`` leaves off its address prefix)."""
        if isinstance(trace, _OwnTrace) and trace.scope is self:
            trace.append(_Mark("rel", relative))  # type: ignore[arg-type]
        else:
            trace.append(self.prefix() + relative)

    def _expand(self, symbolic: tuple[Any, ...]) -> tuple[str, ...]:
        """This instance's steps for a symbolic provenance, each once, in the order first met. A mark becomes
        the whole (already distinct) provenance of its local, input or child output, of this instance."""
        steps: list[str] = []
        prefix = self.prefix()
        for item in symbolic:
            if isinstance(item, str):
                steps.append(item)
            elif item.kind == "rel":
                steps.append(prefix + item.name)
            elif item.kind == "local":
                self.local(item.name, steps)
            elif item.kind == "var":
                self.variable(item.name, steps)
            elif item.kind == "output":
                child = self.children.get(item.child)
                found = child.output(item.name) if child is not None else None
                steps.extend(found[1] if found is not None else ())
        return distinct(steps)

    def _relative(self, value: Any) -> Any:
        """A value with this instance's address (in the unknowns and resource objects it holds) made relative."""
        if self._address_pattern is None:
            # The address as a whole name: not ``module.a`` inside ``module.ab`` or ``module.x.module.a``.
            self._address_pattern = re.compile(rf"(?<![\w.\-]){re.escape(self.address)}(?![\w\-\[])")
        return _rewrite(value, self._address_pattern, _SELF)

    def _exhaust(self) -> None:
        if self.over_budget:
            return
        self.over_budget = True
        if self._entry is not None:
            self._entry.exhausted = True
        path, line = self.call_site()
        self.gaps.append(CoverageGap(
            path, line,
            f"{self.display_dir()}: evaluating this module took more than the {MAX_MODULE_STEPS:,} steps offshore-scan "
            "gives one module; what it computes is unknown and its own resources were not scanned", kind="skipped"))

    def call_site(self) -> tuple[str, int | None]:
        """Where the user sees this instance: its ``module`` block in the caller, or a root's directory."""
        if self.parent is not None:
            name = self.address.rsplit("module.", 1)[-1].split("[", 1)[0]
            for hcl_file, block in self.parent.module.blocks("module"):
                if block.labels and block.labels[0] == name:
                    return self.parent.display_path(hcl_file), block.line
        return self.display(self.module.directory), None

    def module_reference(self, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        """``module.NAME.OUTPUT``, ``module.NAME[KEY].OUTPUT``, or a whole module (all its outputs)."""
        name = str(steps[0])
        call = self.module_calls.get(name)
        if call is None:
            return Unknown(f"module.{name} is not a local module offshore-scan could read"), len(steps)
        if "count" not in call.attributes and "for_each" not in call.attributes:
            child = self.children.get(name)
            if child is None:
                return Unknown(f"module.{name} could not be read"), len(steps)
            if len(steps) >= 2:
                return self.module_output(child, str(steps[1]), trace), 2
            return self.module_outputs(child, trace), 1
        keyed = f"{name}[{json.dumps(steps[1])}]" if len(steps) >= 2 else None
        if keyed is not None and keyed in self.children:
            child = self.children[keyed]
            if len(steps) >= 3:
                return self.module_output(child, str(steps[2]), trace), 3
            return self.module_outputs(child, trace), 2
        # The whole set of instances, as Terraform gives it: a map for for_each, a list for count.
        instances = {key[len(name):]: child for key, child in self.children.items()
                     if key.startswith(f"{name}[")}
        outputs = {json.loads(suffix[1:-1]): self.module_outputs(child, trace) for suffix, child in instances.items()}
        if "count" in call.attributes:
            return [outputs[index] for index in sorted(outputs)], 1
        return outputs, 1

    def module_output(self, child: ModuleScope, output: str, trace: Trace) -> Any:
        found = child.output(output)
        if found is None:
            return Unknown(f"{child.address} has no output {output!r}")
        self._tell(trace, _Mark("output", output, child.address[len(self.prefix()) + len("module."):]), found[1])
        return found[0]

    def module_outputs(self, child: ModuleScope, trace: Trace) -> dict[str, Any]:
        return {
            block.labels[0]: self.module_output(child, block.labels[0], trace)
            for _, block in child.module.blocks("output") if block.labels
        }

    def data_source(self, key: str, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        found = self._data.get(key)
        if found is None:
            return Unknown(f"data.{key} is not declared in {self.display_dir()}"), 2
        block, hcl_file = found
        if steps:
            # The current region, partition and account are the provider's: a common way to build ARNs and names.
            provider = self.provider_for(block, block.labels[0])
            known = provider_data(block.labels[0], str(steps[0]), provider, f"{self.prefix()}data.{key}")
            if known is not None:
                trace.append(f"data.{key} ({self.where(hcl_file, block.line)}) -> provider {provider.key}")
                trace.extend(provider.region.provenance)
                return known, 3
        return Unknown(f"data.{key} is read from the cloud at plan time", ref=f"{self.prefix()}data.{key}",
                       attribute=str(steps[0]) if steps else None), 2 + (1 if steps else 0)

    def resource_attribute(self, key: str, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        found = self._resources.get(key)
        address = f"{self.prefix()}{key}"
        if found is None:
            return Unknown(f"{address} is not declared in {self.display_dir()}"), 1
        block, hcl_file = found
        if not steps:
            return self.resource_instances(block, address, trace), 1
        consumed = 1
        bound: dict[str, Any] | None = None
        if "count" in block.attributes or "for_each" in block.attributes:
            instances = self.instances(block)
            bound = next((b for suffix, b in instances if suffix == f"[{json.dumps(steps[0])}]"), None)
            if bound is not None:
                address = f"{address}[{json.dumps(steps[0])}]"
                steps = steps[1:]
                consumed = 2
            elif all(suffix for suffix, _ in instances):
                # Known instances, none with this key (count = 0 and aws_s3_bucket.this[0]): Terraform's
                # error, which try() and can() catch, not a value known only after apply.
                return failed(f"{address} has no instance {json.dumps(steps[0])}"), 2
        if not steps:
            return self.resource_object(block, address, bound, trace), consumed
        attribute_name = str(steps[0])
        attribute = block.attributes.get(attribute_name)
        if attribute is None and computed_from_prefix(attribute_name) in block.attributes:
            return Unknown(f"{address}.{attribute_name} is computed from {computed_from_prefix(attribute_name)} "
                           "at apply", ref=address, attribute=attribute_name), consumed + 1
        nested = [b for b in block.blocks if b.type == attribute_name]
        if attribute is None and nested and address + "." + attribute_name not in self._resolving:
            # A nested block (metadata[0].name): its values, as the provider holds them, a list of blocks.
            self._resolving.add(address + "." + attribute_name)
            values = [self.block_values(b, address, bound, trace) for b in nested]
            self._resolving.discard(address + "." + attribute_name)
            return values, consumed + 1
        if attribute is None or address + "." + attribute_name in self._resolving:
            # Computed by the provider (arn, id): only known after apply, but we know whose it is.
            return Unknown(f"{address}.{attribute_name} is known only after apply", ref=address,
                           attribute=attribute_name), consumed + 1
        self._resolving.add(address + "." + attribute_name)
        self._say(trace, f"{address[len(self.prefix()):]}.{attribute_name} ({self.where(hcl_file, attribute.line)})")
        value = evaluate(attribute.expr, self, trace, bound)
        self._resolving.discard(address + "." + attribute_name)
        prefix = computed_from_prefix(attribute_name)
        if value is None and prefix is not None and prefix in block.attributes:
            # name = null beside name_prefix: the provider computes the name; it still names this resource.
            return Unknown(f"{address}.{attribute_name} is computed from {prefix} at apply", ref=address,
                           attribute=attribute_name), consumed + 1
        if isinstance(value, Unknown) and (value.ref is None or not value.exact):
            # Unknown, but still this resource's attribute (even one built from another's, such as a name
            # with a random suffix): keep whose it is for look-ups by reference.
            value = Unknown(value.reason, ref=address, attribute=attribute_name)
        return value, consumed + 1

    def block_values(self, block: syn.Block, address: str, bound: dict[str, Any] | None,
                     trace: Trace) -> ResourceObject:
        """A nested block's attributes and blocks, evaluated (``dynamic`` blocks are left out). An attribute
        the block does not set (``identity[0].principal_id``) is computed by the provider: reading it gives an
        unknown that still names the resource."""
        values: dict[str, Any] = {name: evaluate(a.expr, self, trace, bound) for name, a in block.attributes.items()}
        for nested in block.blocks:
            if nested.type != "dynamic":
                values.setdefault(nested.type, []).append(self.block_values(nested, address, bound, trace))
        return ResourceObject(address, values)

    def resource_instances(self, block: syn.Block, address: str, trace: Trace) -> Any:
        """A whole resource as a value: a map of instances (for_each), a list (count), or one object."""
        if "for_each" in block.attributes or "count" in block.attributes:
            listed = self.instances(block)
            instances = {suffix: bound for suffix, bound in listed if suffix}
            if not listed:
                # count = 0 or for_each over nothing: no instances at all, as Terraform has it.
                return [] if "count" in block.attributes else {}
            if not instances:
                return Unknown(f"the instances of {address} are not known statically", ref=address)
            objects = {json.loads(suffix[1:-1]): self.resource_object(block, address + suffix, bound, trace)
                       for suffix, bound in instances.items()}
            return list(objects.values()) if "count" in block.attributes else objects
        return self.resource_object(block, address, None, trace)

    def resource_object(self, block: syn.Block, address: str, bound: dict[str, Any] | None,
                        trace: Trace) -> ResourceObject:
        """One instance's configured top-level attributes; the rest read as unknowns naming it."""
        attributes: dict[str, Any] = {}
        for name, attribute in block.attributes.items():
            key = f"{address}.{name}"
            if name in META_ARGUMENTS or key in self._resolving:
                continue
            self._resolving.add(key)
            attributes[name] = evaluate(attribute.expr, self, trace, bound)
            self._resolving.discard(key)
        return ResourceObject(address, attributes)

    # --- instances -----------------------------------------------------------------------------

    def instances(self, block: syn.Block) -> list[tuple[str, dict[str, Any]]]:
        """``(address suffix, bound names)`` per instance of a resource: ``[0]`` with ``count.index``,
        ``["key"]`` with ``each``. An unknown count or for_each gives one instance whose ``count``/``each``
        are unknown, so the resource is still scanned rather than silently dropped."""
        count = block.attributes.get("count")
        if count is not None:
            value = evaluate(count.expr, self)
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_INSTANCES:
                self._too_many(block, f"count = {value:,}")
                value = Unknown(f"count = {value:,} is more instances than the {MAX_INSTANCES:,} offshore-scan expands")
            if isinstance(value, Unknown) or not isinstance(value, int):
                if _over_budget(value):
                    self._judged_as_one(block, f"count is unknown ({_reason(value)})", kind="skipped")
                return [("", {"count": {"index": Unknown(f"count is unknown: {_reason(value)}")}})]
            return [(f"[{i}]", {"count": {"index": i}}) for i in range(value)]
        for_each = block.attributes.get("for_each")
        if for_each is not None:
            value = evaluate(for_each.expr, self)
            if isinstance(value, dict | list) and len(value) > MAX_INSTANCES:
                self._too_many(block, f"for_each over {len(value):,} keys")
                value = Unknown(f"for_each over {len(value):,} keys is more instances than the {MAX_INSTANCES:,} "
                                "offshore-scan expands")
            if isinstance(value, dict):
                return [(f"[{json.dumps(k)}]", {"each": {"key": k, "value": v}}) for k, v in value.items()]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return [(f"[{json.dumps(k)}]", {"each": {"key": k, "value": k}}) for k in value]
            unknown = Unknown(f"for_each is unknown: {_reason(value)}")
            if _over_budget(value):
                self._judged_as_one(block, f"for_each is unknown ({_reason(value)})", kind="skipped")
            return [("", {"each": {"key": unknown, "value": unknown}})]
        return [("", {})]

    def _too_many(self, block: syn.Block, what: str) -> None:
        """A scan that stood 20,000 instances in for one (whose key, and whatever depends on it, is unknown) is
        incomplete, never quietly smaller."""
        self._judged_as_one(block, f"{what} is more instances than the {MAX_INSTANCES:,} offshore-scan expands",
                            kind="skipped")

    def _judged_as_one(self, block: syn.Block, why: str, kind: str) -> None:
        """Say once that a block's instances were judged as one instance whose key is unknown."""
        if id(block) in self._reported_blocks or block.type != "resource" or self.over_budget:
            return  # a module past its step budget has a gap of its own, and its resources are not scanned
        self._reported_blocks.add(id(block))
        where = next((hcl_file for hcl_file in self.module.files if block in hcl_file.blocks), None)
        path = self.display_path(where) if where is not None else self.display_dir()
        name = ".".join(block.labels)
        self.gaps.append(CoverageGap(
            path, block.line, f"{self.address + '.' if self.address else ''}{name}: {why}; its instances were "
            "judged as one, whose key (and whatever depends on it) is unknown", kind=kind))

    def instance_bound(self, block: syn.Block, key: Any) -> dict[str, Any] | None:
        """The names bound for one instance key (``[0]`` or ``["a"]``), if the block has that instance."""
        for suffix, bound in self.instances(block):
            if suffix == f"[{json.dumps(key)}]":
                return bound
        return None

    # --- providers -----------------------------------------------------------------------------

    def provider_for(self, block: syn.Block, resource_type: str) -> Placement:
        local_name = resource_type.split("_", 1)[0]
        key = local_name
        chosen = block.attributes.get("provider")
        if chosen is not None and isinstance(chosen.expr, syn.GetAttr | syn.Variable):
            key = _provider_key(chosen.expr) or local_name
        provider = self.providers.get(key)
        if provider is not None:
            return provider
        return Placement(
            key=key,
            region=Resolved(
                Unknown(f"no provider {key!r} configuration reaches {self.address or 'the root module'}"
                        " (set its region, or scan a plan)"),
                (f"provider {key} (not configured)",),
            ),
        )

    # --- helpers -------------------------------------------------------------------------------

    @property
    def file_access(self) -> FileAccess | None:
        """The root module's file access: relative paths start where Terraform runs, for every module."""
        return self.root().files

    def root(self) -> ModuleScope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def prefix(self) -> str:
        return f"{self.address}." if self.address else ""

    def display_path(self, hcl_file: syn.HclFile) -> str:
        # The display caches by what it is given: the path string, so no Path is built per call.
        return self.display(hcl_file.path)

    def where(self, hcl_file: syn.HclFile, line: int) -> str:
        return f"{self.display_path(hcl_file)}:{line}"

    def display_dir(self) -> str:
        return self.address or "the root module"


def distinct(steps: Iterable[str]) -> tuple[str, ...]:
    """Provenance steps, each once, in the order first met.

    A value's steps name what decided it; a local read five times says the same five times. Kept
    whole, every local or argument that reads others copies their steps again, so a chain of locals
    that share inputs (null-label's ``tags`` reads ``tags_context``, ``id``, ``labels``..., each reading
    ``input``) grows its provenance exponentially: millions of steps for one label, and out of memory
    a few modules down a cloudposse chain."""
    return tuple(dict.fromkeys(steps))


def _canonical(value: Any) -> Any:
    """A hashable form of a value, for memo keys: the same for equal values only. Containers keep their
    order (it decides the order of a ``for`` over them), unknowns say why and whose, types are told apart
    (``1``, ``1.0``, ``true`` and ``"1"`` are different inputs)."""
    if value is None or isinstance(value, str | bool | int | float):
        return (type(value).__name__, value)
    if isinstance(value, Unknown):
        return (type(value).__name__, value.reason, value.ref, value.attribute, value.exact)
    if isinstance(value, ResourceObject):
        return ("resource", value.address, tuple((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, Mapping):
        return ("map", tuple((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_canonical(v) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return (type(value).__name__, repr(value))


def _rewrite(value: Any, old: re.Pattern[str] | str, new: str) -> Any:
    """``value`` with ``old`` (a pattern or a string) replaced by ``new`` in the unknowns and resource objects
    inside it; the same object where nothing changes, so a memo hit copies only what names an instance."""
    if isinstance(value, Unknown):
        reason, ref = _swap(value.reason, old, new), _swap(value.ref, old, new)
        if reason == value.reason and ref == value.ref:
            return value
        return dataclasses.replace(value, reason=reason, ref=ref)
    if isinstance(value, dict):
        items = {k: _rewrite(v, old, new) for k, v in value.items()}
        if isinstance(value, ResourceObject):
            return ResourceObject(_swap(value.address, old, new) or "", items)
        return value if all(items[k] is v for k, v in value.items()) else items
    if isinstance(value, list):
        rewritten = [_rewrite(v, old, new) for v in value]
        return value if all(a is b for a, b in zip(rewritten, value, strict=True)) else rewritten
    return value


def _swap(text: str | None, old: re.Pattern[str] | str, new: str) -> str | None:
    if text is None:
        return None
    if isinstance(old, str):
        return text.replace(old, new) if old in text else text
    return old.sub(lambda _: new, text)


def _provider_key(expr: syn.Expr) -> str | None:
    if isinstance(expr, syn.GetAttr) and isinstance(expr.obj, syn.Variable):
        return f"{expr.obj.name}.{expr.name}"
    if isinstance(expr, syn.Variable):
        return expr.name
    return None


# --- building scopes -------------------------------------------------------------------------------


def root_inputs(
    module: ParsedModule,
    tfvars: list[tuple[str, Mapping[str, tuple[Any, str]]]],
    cli_vars: Mapping[str, str],
    display: Callable[[Path | str], str],
) -> dict[str, _VariableValue]:
    """Variable values of a root module, in Terraform's precedence (defaults, tfvars files, -var)."""
    values: dict[str, _VariableValue] = {}
    declared = set()
    types = variable_types(module)
    hidden = sensitive_variables(module)

    def _show(value: Any, name: str = "") -> str:
        return "(sensitive)" if name in hidden else _shown(value)

    for hcl_file, block in module.blocks("variable"):
        if not block.labels:
            continue
        name = block.labels[0]
        declared.add(name)
        default = block.attributes.get("default")
        where = f"{display(Path(hcl_file.path))}:{block.line}"
        if default is None:
            values[name] = _VariableValue(
                Unknown(f"var.{name} has no default and no value was given "
                        f"(set it in terraform.tfvars, --var-file or --var {name}=...)"),
                (f"var.{name} (declared {where}, no value)",),
            )
        else:
            value = evaluate(default.expr, _NoReferences())
            values[name] = _VariableValue(value, (f"var.{name} = {_show(value, name)} (default, {where})",))
    for _, assignments in tfvars:
        for name, (value, origin) in assignments.items():
            if name in declared:
                values[name] = _VariableValue(value, (f"var.{name} = {_show(value, name)} ({origin})",))
    for name, text in cli_vars.items():
        if name in declared:
            value = parse_cli_value(text)
            values[name] = _VariableValue(value, (f"var.{name} = {_show(value, name)} (--var)",))
    return {name: _typed(found, types.get(name)) for name, found in values.items()}


def variable_types(module: ParsedModule) -> dict[str, syn.Expr]:
    """The ``type`` constraint of each variable that declares one."""
    return {
        block.labels[0]: block.attributes["type"].expr
        for _, block in module.blocks("variable")
        if block.labels and "type" in block.attributes
    }


def _typed(found: _VariableValue, type_expr: syn.Expr | None) -> _VariableValue:
    if type_expr is None:
        return found
    return _VariableValue(with_type_defaults(type_expr, found.value), found.provenance)


def child_inputs(
    parent: ModuleScope,
    call: syn.Block,
    child: ParsedModule,
    call_file: syn.HclFile,
    bound: Mapping[str, Any] | None = None,
) -> dict[str, _VariableValue]:
    """Variable values of a child module instance: its defaults, overridden by the call's arguments
    (evaluated with the instance's ``each`` or ``count`` bound)."""
    values = root_inputs(child, [], {}, parent.display)
    address = f"{parent.prefix()}module.{call.labels[0]}"
    for name, attribute in call.attributes.items():
        if name in ("source", "version", "providers", "count", "for_each", "depends_on"):
            continue
        trace: Trace = []
        value = evaluate(attribute.expr, parent, trace, bound)
        shown = "(sensitive)" if name in sensitive_variables(child) else _shown(value)
        step = f"var.{name} = {shown} (argument of {address}, {parent.where(call_file, attribute.line)})"
        values[name] = _VariableValue(value, (step, *distinct(trace)))
    types = variable_types(child)
    return {name: _typed(found, types.get(name)) for name, found in values.items()}


def provider_configs(scope: ModuleScope, inherited: Mapping[str, Placement]) -> dict[str, Placement]:
    """Provider configurations visible in a module: inherited ones plus its own provider blocks."""
    providers = dict(inherited)
    for hcl_file, block in scope.module.blocks("provider"):
        if not block.labels:
            continue
        name = block.labels[0]
        alias_attr = block.attributes.get("alias")
        alias = evaluate(alias_attr.expr, scope) if alias_attr else None
        key = f"{name}.{alias}" if isinstance(alias, str) else name
        label = f"provider {key} ({scope.where(hcl_file, block.line)})"
        providers[key] = Placement(
            key=f"{scope.prefix()}{key}" if scope.address else key,
            region=_provider_setting(scope, block, "region", label),
            default_tags=_default_tags(scope, block),
            extra={name: _provider_setting(scope, block, name, label) for name in PLACEMENT_SETTINGS},
            own_accounts=_own_accounts(scope, block),
        )
    return providers


def _own_accounts(scope: ModuleScope, block: syn.Block) -> tuple[Any, ...]:
    """What a provider block says about the accounts it deploys to or as (known ids or unknowns)."""
    found: list[Any] = []
    for name in ("allowed_account_ids", "subscription_id", "tenant_id", "auxiliary_tenant_ids"):
        attribute = block.attributes.get(name)
        if attribute is not None:
            value = evaluate(attribute.expr, scope)
            found.extend(value if isinstance(value, list) else [value])
    for assume in (*block.blocks_of("assume_role"), *block.blocks_of("assume_role_with_web_identity")):
        attribute = assume.attributes.get("role_arn")
        if attribute is not None:
            found.append(evaluate(attribute.expr, scope))
    return tuple(v for v in found if v is not None)


def _provider_setting(scope: ModuleScope, block: syn.Block, name: str, label: str) -> Resolved:
    attribute = block.attributes.get(name)
    if attribute is None:
        return Resolved(None, (label,))
    trace: Trace = []
    value = evaluate(attribute.expr, scope, trace)
    return Resolved(value, (label, *trace))


def _default_tags(scope: ModuleScope, block: syn.Block) -> Mapping[str, Any]:
    tags: dict[str, Any] = {}
    for default_tags in block.blocks_of("default_tags"):
        attribute = default_tags.attributes.get("tags")
        if attribute is not None:
            value = evaluate(attribute.expr, scope)
            if isinstance(value, Unknown):
                return {"__unknown__": value}
            if isinstance(value, dict):
                tags.update(value)
    return tags


def mapped_providers(
    parent: ModuleScope, call: syn.Block
) -> dict[str, Placement]:
    """The providers a module call passes down: the parent's defaults, or its ``providers`` map."""
    inherited = {k: v for k, v in parent.providers.items() if "." not in k}
    mapping = call.attributes.get("providers")
    if mapping is None or not isinstance(mapping.expr, syn.ObjectExpr):
        return inherited
    passed: dict[str, Placement] = dict(inherited)
    for key_expr, value_expr in mapping.expr.items:
        child_key = _provider_key(key_expr) if not isinstance(key_expr, syn.Literal) else str(key_expr.value)
        if isinstance(key_expr, syn.Template):
            child_key = "".join(p for p in key_expr.parts if isinstance(p, str))
        parent_key = _provider_key(value_expr)
        if child_key and parent_key:
            passed[child_key] = parent.providers.get(parent_key) or Placement(
                key=parent_key,
                region=Resolved(Unknown(f"provider {parent_key} is not configured in the caller")),
            )
    return passed


class _NoReferences:
    """Variable defaults may not refer to anything."""

    def reference(self, root: str, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        return Unknown(f"a variable default refers to {root}"), len(steps)


def _over_budget(value: Any) -> bool:
    """Whether an unknown count or for_each is one a budget of ours made (the budgets' messages all say so), not
    an input the configuration leaves unset (that is an ordinary unknown, judged as such)."""
    # A module past its step budget has its own gap; what depends on it downstream is an ordinary unknown.
    return isinstance(value, Unknown) and "more than the" in value.reason and (
        "offshore-scan expands" in value.reason or "offshore-scan builds" in value.reason)


def _reason(value: Any) -> str:
    return value.reason if isinstance(value, Unknown) else f"{type(value).__name__} value"


def sensitive_variables(module: ParsedModule) -> set[str]:
    """Variables declared ``sensitive = true``: their values never appear in provenance."""
    found = set()
    for _, block in module.blocks("variable"):
        attribute = block.attributes.get("sensitive")
        if block.labels and attribute is not None and isinstance(attribute.expr, syn.Literal) \
                and attribute.expr.value is True:
            found.add(block.labels[0])
    return found


def _shown(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"unknown ({value.reason})"
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_cli_value(text: str) -> Any:
    """A ``--var`` value: HCL syntax for lists, maps, quoted strings, numbers and bools; else the bare string.

    Raises ``ValueError`` for a value that starts like HCL but does not parse (``["eu-west-1"``), which
    Terraform would reject too, rather than treating it as a string.
    """
    stripped = text.strip()
    if stripped[:1] in ("[", "{", '"') or stripped in ("true", "false", "null") or _is_number(stripped):
        try:
            return evaluate(syn.parse_hcl(f"x = {stripped}\n", "<--var>").attributes["x"].expr, _NoReferences())
        except syn.HclSyntaxError as error:
            if stripped[:1] in ("[", "{", '"'):
                raise ValueError(f"{text!r} is not a valid HCL value ({error})") from None
            return text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
