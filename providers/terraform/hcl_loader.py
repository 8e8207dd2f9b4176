"""Collect: read a directory tree of Terraform configuration into ``ResourceRecord`` records.

I/O (finding and reading files) lives here; parsing is ``hcl_syntax.parse_hcl`` (``.tf``) and
``json_syntax.parse_json_config`` (``.tf.json``), and name resolution is ``hcl_module``. One file that
will not parse becomes a coverage gap with its path and line, and every other file is still read.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from providers.interface import skipped_by, unreadable
from providers.semantics.records import ResourceRecord, Unknown
from providers.terraform import hcl_syntax as syn
from providers.terraform.expressions import Trace, evaluate
from providers.terraform.functions.filesystem import FileAccess
from providers.terraform.hcl_module import (
    META_ARGUMENTS,
    ModuleScope,
    ParsedModule,
    child_inputs,
    distinct,
    mapped_providers,
    provider_configs,
    root_inputs,
)
from providers.terraform.parallel_parse import parse_files
from providers.terraform.parse_cache import ParseCache
from scanner.model import CoverageGap, SourceRef

_SKIPPED_DIRS = {".terraform", ".git", "node_modules", ".terragrunt-cache"}
_MAX_MODULE_DEPTH = 16
MAX_MODULE_INSTANCES = 10_000
"""Module instances one configuration may expand to. Calls that fan out (two instances of a module that
makes two of the next...) grow exponentially with depth; past this the rest is a gap, not a hang."""


@dataclass
class _InstanceBudget:
    remaining: int = MAX_MODULE_INSTANCES
    skipped: list[SourceRef] = field(default_factory=list)
    """Module calls not expanded for want of budget: said once, with their number."""

    def gap(self) -> CoverageGap | None:
        if not self.skipped:
            return None
        first = self.skipped[0]
        return CoverageGap(first.path, first.line,
                           f"{first.address}: the configuration expands to more than {MAX_MODULE_INSTANCES:,} module "
                           f"instances; {len(self.skipped):,} module call(s) from here on were not expanded and their "
                           "resources were not scanned", kind="error")


@dataclass(frozen=True)
class HclOptions:
    """What the user passed on the command line about variables."""

    var_files: tuple[Path, ...] = ()
    """``--var-file`` paths, applied in order after ``terraform.tfvars`` and ``*.auto.tfvars``."""
    variables: Mapping[str, str] | None = None
    """``--var NAME=VALUE`` pairs, applied last."""
    max_file_bytes: int | None = None
    """Files larger than this are gaps, not read."""
    cache_dir: Path | None = None
    """The parse cache's directory; None parses every file."""
    skip_paths: tuple[str, ...] = ()
    """``--skip-path`` globs: files and directories under the root the walk does not read."""


@dataclass(frozen=True)
class HclResult:
    """What a directory scan produced."""

    resources: tuple[ResourceRecord, ...]
    """Every record of every root module."""
    gaps: tuple[CoverageGap, ...]
    """Files that could not be read or parsed, modules not on disk."""
    files: tuple[str, ...]
    """Files read, as displayed."""
    roots: tuple[tuple[str, tuple[ResourceRecord, ...]], ...] = ()
    """Each root module (its directory relative to the scanned path, ``.`` for the path itself) and its
    records: separate Terraform configurations whose addresses may repeat."""
    declared: frozenset[str] = frozenset()
    """The variables the root modules declare (``--var`` for any other is said, as Terraform says it)."""


def load_directory(root: Path, options: HclOptions = HclOptions()) -> HclResult:
    """Every resource in every root module under ``root``."""
    display = _Display(root)
    gaps: list[CoverageGap] = []
    cache = ParseCache(options.cache_dir) if options.cache_dir is not None else None
    if cache is not None and cache.distrusted is not None:
        gaps.append(CoverageGap(str(options.cache_dir), None, f"the parse cache was not used: {cache.distrusted}; "
                                "every file was parsed afresh", kind="note"))
    modules = _parse_tree(root, display, gaps, options.max_file_bytes, cache, options.skip_paths)
    called = _locally_called(modules)
    unread = _called_only_when_skipped(root, modules, called, options, display, gaps)
    var_files = [_read_tfvars(p, display, gaps) for p in options.var_files]
    scanned = (Path(os.path.realpath(root if root.is_dir() else root.parent)),)
    resources: list[ResourceRecord] = []
    roots: list[tuple[str, tuple[ResourceRecord, ...]]] = []
    declared: set[str] = set()
    for directory in sorted(modules):
        if directory in called or directory in unread:
            continue
        module = modules[directory]
        declared.update(block.labels[0] for _, block in module.blocks("variable") if block.labels)
        tfvars = [_read_tfvars(p, display, gaps) for p in _auto_tfvars(directory)]
        inputs = root_inputs(module, [t for t in tfvars + var_files if t], options.variables or {}, display)
        # file() and its kin read inside the scanned tree only, relative paths from the root module as Terraform runs.
        files = FileAccess(scanned, directory, options.max_file_bytes, display)
        scope = ModuleScope(module, "", inputs, {}, display, gaps, files=files)
        scope.providers = provider_configs(scope, {})
        found: list[ResourceRecord] = []
        budget = _InstanceBudget()
        _collect(scope, modules, found, depth=0, display=display, budget=budget)
        gaps.extend(g for g in [budget.gap()] if g is not None)
        resources.extend(found)
        roots.append((_relative(root, directory), tuple(found)))
    read = [Path(f.path) for m in modules.values() if m.directory not in unread for f in m.files]
    failed = [Path(g.path) for g in gaps if is_configuration(g.path)]
    files = tuple(sorted({display(p) for p in read} | {str(p) for p in failed}))
    return HclResult(tuple(resources), tuple(_said_once(gaps)), files, tuple(roots), frozenset(declared))


def _called_only_when_skipped(root: Path, modules: Mapping[Path, ParsedModule], called: set[Path],
                              options: HclOptions, display: _Display, gaps: list[CoverageGap]) -> set[Path]:
    """The module directories that only ``--skip-path``-skipped configuration calls, and those only they call.
    Such a module is a child whose caller is not read, never a root of its own (which would give every address a
    root prefix, ``.:aws_vpc.dr``, and change fingerprints): it is not read, and a note says why. The skipped
    files are parsed (never searched as text) only to find their ``module`` blocks' local sources; a skipped file
    that does not parse calls nothing we can know of, and is not reported: the user asked not to read it."""
    if not options.skip_paths:
        return set()
    skipped_files: list[Path] = []
    for directory, subdirs, filenames in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
        inside = skipped_by(root, Path(directory), options.skip_paths) is not None or any(
            skipped_by(root, parent, options.skip_paths) for parent in Path(directory).parents
            if root in parent.parents)
        skipped_files += [Path(directory) / name for name in sorted(filenames) if is_configuration(name)
                          and (inside or skipped_by(root, Path(directory) / name, options.skip_paths))]
    callers: dict[Path, str] = {}
    for path, parsed in zip(skipped_files, parse_files(skipped_files, options.max_file_bytes, None), strict=True):
        if not isinstance(parsed, syn.HclFile):
            continue
        for block in parsed.blocks:
            if block.type == "module" and (target := _local_source(path.parent, block)) is not None:
                callers.setdefault(target, display(path))
    orphans = sorted(d for d in callers if d in modules and d not in called)
    if not orphans:
        return set()
    calls: dict[Path, set[Path]] = {}
    for module in modules.values():
        for _, block in module.blocks("module"):
            target = _local_source(module.directory, block)
            if target is not None and target != module.directory:
                calls.setdefault(module.directory, set()).add(target)
    roots = [d for d in modules if d not in called and d not in orphans]
    reached = set(roots)
    _reach(roots, calls, reached)
    for orphan in orphans:
        gaps.append(CoverageGap(display(orphan), None, f"module not read: it is called only from {callers[orphan]}, "
                                                       "which --skip-path skips", kind="note"))
    return {d for d in modules if d not in reached}


def _relative(root: Path, directory: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return str(directory.relative_to(base))
    except ValueError:
        return str(directory)


class _Display:
    """Paths as the user will recognise them: relative to the directory they named."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._shown: dict[Path | str, str] = {}

    def __call__(self, path: Path | str) -> str:
        # Asked for every resource and every provenance step: pathlib's relative_to is slow enough
        # to matter at thousands of resources, and a file's answer never changes.
        shown = self._shown.get(path)
        if shown is None:
            try:
                relative = Path(path).relative_to(self.root)
            except ValueError:
                shown = str(path)
            else:
                shown = str(self.root / relative) if str(self.root) != "." else str(relative)
            self._shown[path] = shown
        return shown


def _parse_tree(root: Path, display: _Display, gaps: list[CoverageGap],
                max_bytes: int | None = None, cache: ParseCache | None = None,
                skip: tuple[str, ...] = ()) -> dict[Path, ParsedModule]:
    by_directory: dict[Path, list[Path]] = {}

    def unreadable(error: OSError) -> None:
        # os.walk skips a directory it cannot list; the scan would then be clean without having looked.
        where = Path(error.filename) if error.filename else root
        gaps.append(CoverageGap(display(where), None, f"cannot read directory: {error.strerror or error}; "
                                                      "its Terraform files were not scanned"))

    for directory, subdirs, filenames in os.walk(root, onerror=unreadable):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS
                            and not skipped_by(root, Path(directory) / d, skip))
        tf_files = sorted(f for f in filenames
                          if is_configuration(f) and not skipped_by(root, Path(directory) / f, skip))
        if tf_files:
            by_directory[Path(directory)] = [Path(directory) / f for f in tf_files]
    return _parse_directories(by_directory, display, gaps, max_bytes, cache)


def is_configuration(name: str) -> bool:
    """Whether a file name is Terraform configuration: native syntax (``.tf``) or JSON syntax (``.tf.json``)."""
    return name.endswith((".tf", ".tf.json"))


def _parse_directories(
    by_directory: Mapping[Path, list[Path]], display: _Display, gaps: list[CoverageGap], max_bytes: int | None = None,
    cache: ParseCache | None = None,
) -> dict[Path, ParsedModule]:
    paths = [path for files in by_directory.values() for path in files]
    results = dict(zip(paths, parse_files(paths, max_bytes, cache), strict=True))
    modules: dict[Path, ParsedModule] = {}
    for directory, files in by_directory.items():
        parsed = []
        for path in files:
            result = results[path]
            if isinstance(result, syn.HclFile):
                parsed.append(result)
            elif isinstance(result, syn.HclSyntaxError):
                gaps.append(CoverageGap(display(path), result.line, str(result)))
            else:
                gaps.append(CoverageGap(display(path), *unreadable(result)))
        modules[directory] = ParsedModule(directory, parsed)
    return modules


def _locally_called(modules: Mapping[Path, ParsedModule]) -> set[Path]:
    """The directories other scanned modules call. A module that calls itself, or only modules in a loop of
    calls, is no child of anything: it stays a root, so it is scanned (and the loop is a gap when linked)."""
    calls: dict[Path, set[Path]] = {}
    for module in modules.values():
        for _, block in module.blocks("module"):
            target = _local_source(module.directory, block)
            if target is not None and target != module.directory:
                calls.setdefault(module.directory, set()).add(target)
    called = {target for targets in calls.values() for target in targets}
    reached: set[Path] = set()
    _reach([d for d in modules if d not in called], calls, reached)
    # Directories only a loop of calls reaches: scan each as a root rather than not at all.
    stranded = sorted(d for d in called if d in modules and d not in reached)
    while stranded:
        reached.add(stranded[0])
        _reach([stranded[0]], calls, reached)
        called.discard(stranded[0])
        stranded = [d for d in stranded if d not in reached]
    return called


def _reach(starts: list[Path], calls: Mapping[Path, set[Path]], reached: set[Path]) -> None:
    """Add to ``reached`` every directory the ``starts`` call, directly or through others."""
    stack = list(starts)
    while stack:
        for target in calls.get(stack.pop(), ()):
            if target not in reached:
                reached.add(target)
                stack.append(target)


@dataclass(frozen=True)
class MissingModule(CoverageGap):
    """A module call whose source is not on disk, before calls of the same block are counted together."""

    address: str = ""
    """The instance's address (``module.app["a"].module.db``)."""


def _said_once(gaps: list[CoverageGap]) -> list[CoverageGap]:
    """One gap per cause: per missing module source, however many instances call it (a module with
    for_each whose child is not on disk would otherwise say so once per key), and any other gap said
    the same way more than once (one module read by several roots) once, with its count."""
    calls: dict[tuple[str, int | None, str], list[str]] = {}
    repeats: dict[tuple[str, int | None, str, str], int] = {}
    for gap in gaps:
        if isinstance(gap, MissingModule):
            calls.setdefault((gap.path, gap.line, gap.reason), []).append(gap.address)
        else:
            key = (gap.path, gap.line, gap.reason, gap.kind)
            repeats[key] = repeats.get(key, 0) + 1
    said: set[tuple[str, int | None, str]] = set()
    result: list[CoverageGap] = []
    for gap in gaps:
        if not isinstance(gap, MissingModule):
            count = repeats.pop((gap.path, gap.line, gap.reason, gap.kind), 0)
            if count:
                result.append(gap if count == 1 else replace(gap, reason=f"{gap.reason} ({count} times)"))
            continue
        key = (gap.path, gap.line, gap.reason)
        if key in said:
            continue
        said.add(key)
        addresses = calls[key]
        who = addresses[0] if len(addresses) == 1 else f"{addresses[0]} and {len(addresses) - 1} more instance(s)"
        result.append(CoverageGap(
            gap.path, gap.line,
            f"{who}: {gap.reason} is not on disk; its resources were not scanned "
            "(run `terraform init` first, or scan a plan from `terraform show -json`)",
            kind="skipped",
        ))
    return result


def _local_source(directory: Path, block: syn.Block) -> Path | None:
    source = block.attributes.get("source")
    if source is None or not isinstance(source.expr, syn.Template):
        return None
    text = "".join(p for p in source.expr.parts if isinstance(p, str))
    if not text.startswith(("./", "../")):
        return None
    return Path(os.path.normpath(directory / text))


def _installed_source(directory: Path, root_hint: Path, key: str) -> Path | None:
    # After `terraform init`, remote modules are unpacked under .terraform/modules and listed in
    # modules.json by their call key ("net", "net.subnets").
    for base in (directory, *directory.parents):
        manifest = base / ".terraform" / "modules" / "modules.json"
        if manifest.is_file():
            try:
                entries = json.loads(manifest.read_text())["Modules"]
            except (OSError, ValueError, KeyError, TypeError):
                return None
            for entry in entries:
                if entry.get("Key") == key and entry.get("Dir"):
                    return Path(os.path.normpath(base / entry["Dir"]))
            return None
        if base == root_hint:
            break
    return None


def _auto_tfvars(directory: Path) -> list[Path]:
    found = [directory / "terraform.tfvars"] if (directory / "terraform.tfvars").is_file() else []
    found += sorted(directory.glob("*.auto.tfvars"))
    found += [directory / "terraform.tfvars.json"] if (directory / "terraform.tfvars.json").is_file() else []
    found += sorted(directory.glob("*.auto.tfvars.json"))
    return found


def _read_tfvars(
    path: Path, display: _Display, gaps: list[CoverageGap]
) -> tuple[str, dict[str, tuple[Any, str]]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        gaps.append(CoverageGap(display(path), *unreadable(error, "variables file")))
        return None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as error:
            gaps.append(CoverageGap(display(path), getattr(error, "lineno", None), f"not valid JSON: {error}"))
            return None
        shown = display(path)
        return shown, {k: (v, shown) for k, v in data.items()} if isinstance(data, dict) else {}
    try:
        parsed = syn.parse_hcl(text, str(path))
    except syn.HclSyntaxError as error:
        gaps.append(CoverageGap(display(path), error.line, str(error)))
        return None
    values: dict[str, Any] = {}
    for name, attribute in parsed.attributes.items():
        values[name] = (evaluate(attribute.expr, _Literals()), f"{display(path)}:{attribute.line}")
    return display(path), values


class _Literals:
    """tfvars files hold values only; a reference there is an error Terraform would report."""

    def reference(self, root: str, steps: list[Any], trace: Trace) -> tuple[Any, int]:
        return Unknown(f"a tfvars value refers to {root}"), len(steps)


def _collect(
    scope: ModuleScope,
    modules: dict[Path, ParsedModule],
    out: list[ResourceRecord],
    depth: int,
    display: _Display,
    budget: _InstanceBudget,
) -> None:
    _link_children(scope, modules, depth, display, budget)
    scope.linked = True
    start = len(out)
    for block_type in ("resource", "data"):
        for hcl_file, block in scope.module.blocks(block_type):
            if len(block.labels) == 2:
                out.extend(_resources(scope, hcl_file, block, mode="managed" if block_type == "resource" else "data"))
    if scope.over_budget:
        # Its values are cut short: the scope's coverage gap says so, and no record claims to know them.
        del out[start:]
    for child in scope.children.values():
        _collect(child, modules, out, depth + 1, display, budget)


def _link_children(scope: ModuleScope, modules: dict[Path, ParsedModule], depth: int, display: _Display,
                   budget: _InstanceBudget) -> None:
    linked: list[tuple[str, str, syn.Block, syn.HclFile, ParsedModule]] = []
    for hcl_file, block in scope.module.blocks("module"):
        if not block.labels:
            continue
        name = block.labels[0]
        address = f"{scope.prefix()}module.{name}"
        where = SourceRef(scope.display_path(hcl_file), block.line, address)
        if depth >= _MAX_MODULE_DEPTH:
            scope.gaps.append(CoverageGap(where.path, where.line, f"{address}: modules nested too deeply"))
            continue
        directory = _local_source(scope.module.directory, block)
        if directory is None:
            key = ".".join(part for part in address.split(".") if part != "module")
            directory = _installed_source(scope.module.directory, Path("/"), key)
        if directory is not None and directory not in modules and directory.is_dir():
            # A module outside the scanned tree (envs/prod calling ../../modules/queue): read it too.
            files = sorted(p for p in directory.iterdir() if is_configuration(p.name) and p.is_file())
            modules.update(_parse_directories({directory: files}, display, scope.gaps))
        if directory is not None and directory in _calling_directories(scope):
            scope.gaps.append(CoverageGap(
                where.path, where.line,
                f"{address}: module source {display(directory)} calls back into a module that is already calling it (a "
                "module cycle, which Terraform refuses); it was not followed", kind="error"))
            continue
        child_module = modules.get(directory) if directory is not None else None
        if child_module is None:
            source = block.attributes.get("source")
            shown = evaluate(source.expr, scope) if source else "no source"
            scope.gaps.append(MissingModule(where.path, where.line, f"module source {shown!r}", address=address))
            continue
        scope.module_calls[name] = block
        linked.append((name, address, block, hcl_file, child_module))
    # Instances are made once every call is known: a call's count, for_each or arguments may name another
    # module's outputs, whatever the order of the blocks.
    for name, address, block, hcl_file, child_module in linked:
        # count and for_each make one module instance per key (count = 0: none at all).
        for suffix, bound in scope.instances(block):
            if budget.remaining <= 0:
                budget.skipped.append(SourceRef(scope.display_path(hcl_file), block.line, address + suffix))
                break
            budget.remaining -= 1
            child = ModuleScope(child_module, address + suffix, {}, {}, scope.display, scope.gaps, parent=scope)
            child.pending_inputs = functools.partial(child_inputs, scope, block, child_module, hcl_file, bound)
            scope.children[name + suffix] = child
    for name, _, block, _, _ in linked:
        for key, child in scope.children.items():
            if key == name or key.startswith(f"{name}["):
                child.providers = provider_configs(child, mapped_providers(scope, block))


def _calling_directories(scope: ModuleScope) -> set[Path]:
    """The module directories on the way from the root to ``scope``, itself included."""
    found = {scope.module.directory}
    parent = scope.parent
    while parent is not None:
        found.add(parent.module.directory)
        parent = parent.parent
    return found


def _resources(
    scope: ModuleScope, hcl_file: syn.HclFile, block: syn.Block, mode: str = "managed"
) -> list[ResourceRecord]:
    """One record per instance: ``count`` and ``for_each`` are expanded when their value is known."""
    resource_type, name = block.labels
    base = f"{scope.prefix()}{'data.' if mode == 'data' else ''}{resource_type}.{name}"
    records = []
    for suffix, bound in scope.instances(block):
        lines: dict[str, int] = {}
        values, provenance = _body_values(scope, block, top_level=hcl_file, bound=bound, lines=lines)
        address = base + suffix
        records.append(ResourceRecord(
            address=address,
            type=resource_type,
            values=values,
            placement=scope.provider_for(block, resource_type),
            source=SourceRef(scope.display_path(hcl_file), block.line, address),
            provenance=provenance,
            module_path=scope.address,
            lines=lines,
            mode=mode,
        ))
    return records




def _body_values(
    scope: ModuleScope,
    block: syn.Block,
    *,
    top_level: syn.HclFile | None = None,
    bound: Mapping[str, Any] | None = None,
    lines: dict[str, int] | None = None,
    prefix: str = "",
    provenance: dict[str, tuple[str, ...]] | None = None,
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """A block's attributes and nested blocks as values; ``lines`` and ``provenance`` collect, by dotted
    path, where each attribute is and which variables and locals decided it."""
    values: dict[str, Any] = {}
    provenance = {} if provenance is None else provenance
    lines = {} if lines is None else lines
    for name, attribute in block.attributes.items():
        if top_level is not None and name in META_ARGUMENTS:
            continue
        trace: Trace = []
        values[name] = evaluate(attribute.expr, scope, trace, bound)
        lines.setdefault(prefix + name, attribute.line)
        if top_level is not None:
            provenance[name] = (f"{name} ({scope.where(top_level, attribute.line)})", *distinct(trace))
        elif trace:
            provenance.setdefault(prefix + name, distinct(trace))
    for nested in block.blocks:
        if top_level is not None and nested.type in META_ARGUMENTS:
            continue
        if nested.type == "dynamic" and nested.labels:
            values.setdefault(nested.labels[0], []).extend(_dynamic(scope, nested, bound))
            lines.setdefault(prefix + nested.labels[0], nested.line)
            continue
        lines.setdefault(prefix + nested.type, nested.line)
        nested_values, _ = _body_values(scope, nested, bound=bound, lines=lines, prefix=f"{prefix}{nested.type}.",
                                        provenance=provenance)
        values.setdefault(nested.type, []).append(nested_values)
    return values, provenance


def _all_unknown(value: Any, missing: Unknown) -> Any:
    """The same structure of blocks, with every value replaced by ``missing``."""
    if isinstance(value, dict):
        return {key: _all_unknown(item, missing) for key, item in value.items()}
    if isinstance(value, list) and all(isinstance(item, dict) for item in value) and value:
        return [_all_unknown(item, missing) for item in value]
    return missing


def _dynamic(scope: ModuleScope, block: syn.Block, bound: Mapping[str, Any] | None) -> list[Any]:
    label = block.labels[0]
    iterator_attr = block.attributes.get("iterator")
    iterator = label
    if iterator_attr is not None and isinstance(iterator_attr.expr, syn.Variable):
        iterator = iterator_attr.expr.name
    for_each = block.attributes.get("for_each")
    contents = block.blocks_of("content")
    if for_each is None or not contents:
        return []
    collection = evaluate(for_each.expr, scope, None, bound)
    if isinstance(collection, Unknown):
        # Terraform would create one block per element of a collection it does not know yet: stand in
        # one block whose every value is unknown, so a flow it would declare is an unknown naming the
        # missing input rather than nothing at all.
        missing = Unknown(f"dynamic {label!r} for_each: {collection.reason}")
        inner = dict(bound or {})
        inner[iterator] = {"key": missing, "value": missing}
        nested, _ = _body_values(scope, contents[0], bound=inner)
        return [_all_unknown(nested, missing)]
    items = collection.items() if isinstance(collection, dict) else enumerate(collection or [])
    result = []
    for key, value in items:
        inner = dict(bound or {})
        inner[iterator] = {"key": key, "value": value}
        nested, _ = _body_values(scope, contents[0], bound=inner)
        result.append(nested)
    return result
