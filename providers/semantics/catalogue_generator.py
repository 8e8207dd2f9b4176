"""Generate ``resource_map/arguments.yaml``: the data-moving arguments of every resource type, read from the
Terraform providers' own documentation.

    python -m providers.semantics.catalogue_generator --aws DIR --azurerm DIR --google DIR [--azapi DIR] \
        --output providers/semantics/resource_map/arguments.yaml

Each DIR is a checkout of the provider's repository, its bare git directory (the docs are read from ``HEAD``
with ``git archive``), or a directory of extracted documentation pages. The pages read are
``website/docs/r/*.markdown`` (azapi: ``docs/resources/*.md``, the per-ARM-type example pages).

For each page the "Argument Reference" section(s) are parsed: top-level bullets ``* `name` - (Required) ...``
and the nested block sections (``### destination``, "The `destination` block supports:", Google's
``<a name="nested_rule_destination">``), joined into dotted paths (``rule.destination.bucket``). Attribute
sections (computed values) and Google's ``(Output)`` fields are not arguments and are skipped. Each path is
given a role by the name rules below; the type's location is decided by ``located_by``.

The parsing functions are pure (text in, values out); only ``main`` and the ``_read_*`` helpers touch files
or run git. Standard library and PyYAML only: this runs in CI and on a laptop alike.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import re
import subprocess
import tarfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# --------------------------------------------------------------------------------------------------------
# Classification rules: data. A path's LAST segment is matched (fnmatch, case-sensitive, snake_case; ARM
# camelCase names are converted first). An exact name wins over every pattern; patterns are tried in the
# order of ROLE_PATTERNS, so `destination_region` is a place and `peer_region` a peer.
#
#   place        names a region, location or zone
#   destination  names where data is sent, copied, exported or replicated to (a bucket, a workspace, an ARN)
#   source       names where this resource's data is copied or restored from
#   create_mode  says how the resource is created (a copy, a restore, a replica, a secondary)
#   peer         names the other end of a network peering, connection or VPN
#   endpoint     a URL, URI, host or endpoint to which something connects or delivers
#
# These are name heuristics, checked against descriptions only where a name is known to be ambiguous; see
# NOT_A_REFERENCE, PATH_LIKE and the contextual rules in `contextual_role`.
# --------------------------------------------------------------------------------------------------------

ROLES: tuple[str, ...] = ("place", "destination", "source", "create_mode", "peer", "endpoint")

EXACT_ROLES: Mapping[str, str] = {
    "create_mode": "create_mode",
    "creation_option": "create_mode",
    "restore_mode": "create_mode",
    "create_option": "create_mode",
    "region": "place",
    "location": "place",
    "zone": "place",
    "region_name": "place",
    "location_id": "place",
    "destination_region": "place",
    "source_region": "place",
    "replica_region": "place",
    "availability_zone": "place",
    "availability_zones": "place",
    "geo_location": "place",
    "failover_location": "place",
    "peer_region": "peer",
    "peer_vpc_id": "peer",
    "peer_owner_id": "peer",
    "peer_address": "peer",
    "remote_virtual_network_id": "peer",
    "replicate_source_db": "source",
    "target_resource_id": "source",  # Azure: the resource whose logs or metrics a setting exports
    "source_resource_id": "source",
    "source_database_id": "source",
    "source_server_id": "source",
    "workspace_id": "destination",
    "log_analytics_workspace_id": "destination",
    "s3_bucket_name": "destination",
    "url": "endpoint",
    "server_url": "endpoint",
}

ROLE_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("create_mode", ("*_create_mode", "*_creation_option", "*_restore_mode", "*_create_option")),
    ("place", ("*_region", "*_regions", "*_location", "*_locations", "*_zone", "*_zones", "availability_zone*",
               "*_availability_zone*", "geo_location*", "failover_location*")),
    ("peer", ("peer_*", "remote_*_id", "remote_*_ids", "customer_gateway_*", "peer_ip*")),
    ("source", ("source_*", "restore_*source*", "creation_source_*", "replicate_source_*")),
    ("destination", ("destination", "destinations", "destination_*", "*_destination", "*_destinations",
                     "*_destination_*", "target", "targets", "target_*", "*_target", "*_targets", "*_target_*",
                     "sink", "sinks", "sink_*", "*_sink", "*_sink_*", "export", "exports", "export_*", "*_export",
                     "*_exports", "*_export_*", "replica", "replicas", "replica_*", "*_replica", "*_replicas",
                     "*_replica_*", "copy", "copies", "copy_*", "*_copy", "*_copies", "*_copy_*", "eventhub_*",
                     "*_eventhub_*", "kinesis_*_arn", "*log_analytics_workspace_id")),
    ("endpoint", ("endpoint*", "*_endpoint*", "*url", "*_uri", "*_uris", "host*", "*_host", "*_hosts")),
)

# Names a place pattern would match that are not places.
NOT_A_PLACE: tuple[str, ...] = ("time_zone", "timezone", "state_or_region", "*dns_zone*", "hosted_zone*", "*_zone_id",
                                "*_zone_name", "*_zone_ids", "*_zone_names", "*zone_redundant*", "*zone_balance*")
# Names that (by a whole word of the name) hold a number, flag, setting, network range or filter rather than a
# reference to somewhere data goes: never a destination, source, peer or endpoint. `source_cidr_block`,
# `destination_port_range`, `target_capacity`, `endpoint_type`, `source_selection_criteria`.
NOT_A_REFERENCE = re.compile(
    r"(?:^|_)(?:type|types|kind|percentage|percent|count|size|capacity|value|values|enabled|enable|disabled|version"
    r"|versions|status|interval|seconds|minutes|hours|days|timeout|format|protocol|protocols|port|ports|cidr|cidrs"
    r"|prefix|prefixes|range|ranges|check|hash|tracking|utilization|throughput|iops|mode|state|tags|tag|labels"
    r"|weight|priority|criteria|selection|filter|filters|security_group|security_groups|asn|dest_check|sku|tier"
    r"|schedule|retention|encoding|compression|delimiter|policy|condition|conditions|role|password|secret|key"
    r"|certificate|header|headers|scope|scopes|tenant|column|columns|match|options|settings|max|min|hosted|ignore|allow|allowed|use|service_account|service_accounts)(?:_|$)"
)
# The description of a number or flag (Google and Azure write the type into the sentence).
NUMBER_OR_FLAG = re.compile(
    r"^\(?(?:Required|Optional)?[^)]*\)?\s*(?:Boolean|Bool\b|Integer|Number of|The number of|Percentage|The percentage"
    r"|Whether|Is |Should |Indicates whether|Specifies whether|Determines whether|Enable |Enables |Set to true"
    r"|If true|Toggle)",
    re.IGNORECASE,
)
# A `location` that is a path, URI or object key (AWS Glue, Athena, CodeBuild ...): not a place. The
# description decides; such a `*_location` is a destination when its name says output/export/log/backup.
PATH_LIKE = re.compile(
    r"\b(?:path|paths|uri|uris|url|urls|s3|file|files|directory|folder|object key|key name|key prefix|bucket)\b",
    re.IGNORECASE,
)
PATH_DESTINATION = ("output*", "result*", "export*", "backup*", "log*", "*_log_*", "target*", "destination*")
# A leaf under a block that has a destination, source or peer role takes that role when it names something.
REFERENCE_LEAF = ("bucket", "account", "account_id", "arn", "uri", "url", "project", "dataset",
                  "table", "topic", "*_id", "*_ids", "*_arn", "*_arns", "*_name", "*_bucket", "*_account", "*_uri",
                  "*_url", "*_project", "*_dataset", "*_table", "*_topic")
INHERITED_ROLES = ("destination", "source", "peer")
# Blocks under which a bucket, a storage account or an ARN is where data goes.
DELIVERY_BLOCK = re.compile(r"(?:^|_)(?:destination|destinations|logging|logs?|export|exports|diagnostic|diagnostics"
                            r"|audit|auditing|sink|replica|replication|backup|copy|delivery|output)(?:_|$)")

# --------------------------------------------------------------------------------------------------------
# Location rules. `own` when the type has a top-level place argument; AWS types without one are placed by
# the provider's region (`provider`); otherwise `from: <argument>`, the argument that names the parent the
# resource lives in; `none` when nothing can be said.
# --------------------------------------------------------------------------------------------------------

OWN_PLACE_ARGUMENTS = ("region", "location", "zone", "location_id")
NOT_A_PARENT = ("resource_group_name", "name", "project", "project_id", "tenant_id", "subscription_id",
                "principal_id", "object_id", "client_id", "application_id", "sku_name", "*_sku_name",
                "role_definition_id", "role_definition_name", "*_key_id", "key_vault_key_id", "*_version_id",
                "*_type_id", "*_type_name", "*_secret_id", "*_certificate_id", "*_policy_id", "*_policy_name",
                "*_kms_key_name", "kms_key_name", "*service_account_id", "display_name", "*_display_name")
PARENT_DESCRIPTION = re.compile(
    r"\b(?:in|on|within|under|into|inside|to) which\b"
    r"|\bwhere (?:the|this|these|a|an|it)\b[^.]*\b(?:should|will|is|are|must|to be|shall)\b"
    r"|\bto create (?:the|this|a|an)\b[^.]*\bin\b"
    r"|\b(?:belongs to|within which|lives in|resides in|is created in|should be created in|should exist in)\b",
    re.IGNORECASE,
)
REFERENCE_DESCRIPTION = re.compile(r"^(?:A |The )?(?:reference|full resource name|resource name|name or id|id or name)"
                                   r"\b", re.IGNORECASE)

PROVIDERS: Mapping[str, str] = {
    "aws": "hashicorp/terraform-provider-aws",
    "azurerm": "hashicorp/terraform-provider-azurerm",
    "google": "hashicorp/terraform-provider-google",
    "azapi": "Azure/terraform-provider-azapi",
}
DOC_DIRECTORIES: Mapping[str, tuple[str, ...]] = {
    "aws": ("website/docs/r",),
    "azurerm": ("website/docs/r",),
    "google": ("website/docs/r",),
    "azapi": ("docs/resources",),
}
SIZE_LIMIT = 3_000_000


# --------------------------------------------------------------------------------------------------------
# Parsed documentation
# --------------------------------------------------------------------------------------------------------


@dataclass
class Argument:
    """One bullet of an argument section; ``children`` are bullets nested under it."""

    name: str
    description: str = ""
    children: list[Argument] = field(default_factory=list)

    @property
    def required(self) -> bool:
        return self.description.lstrip("( ").lower().startswith("required")


@dataclass
class Section:
    """A run of argument bullets under one header: the root (``name`` None) or one named block."""

    name: str | None
    hints: tuple[str, ...] = ()
    anchor: str | None = None
    position: int = 0
    arguments: list[Argument] = field(default_factory=list)


@dataclass(frozen=True)
class PathArgument:
    """An argument with its dotted path, its description and the names of the blocks it sits in."""

    path: str
    name: str
    description: str
    ancestors: tuple[str, ...]
    is_block: bool


@dataclass(frozen=True)
class TypeCatalogue:
    located: str | dict[str, str]
    arguments: dict[str, str]
    encryption: tuple[str, ...] = ()
    """Argument paths that say how data is encrypted at rest (a key, a switch, an algorithm): leads for
    ``resource_map/encryption.yaml``, which is written by hand."""


# --------------------------------------------------------------------------------------------------------
# Markdown -> sections (pure)
# --------------------------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[*-]\s+`([A-Za-z_][A-Za-z0-9_.]*)`\s*(?:[-–—:]\s*|\s+-\s*)?(.*)$")
_TICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_.]*)`")
_ANCHOR = re.compile(r'<a\s+name="([^"]+)"\s*>\s*</a>')
_ROOT_SENTENCE = re.compile(
    r"^(?:the )?following arguments? (?:are|is) (?:supported|required|optional)"
    r"|^this (?:resource|data source) supports the following arguments"
    r"|^(?:required|optional)(?: arguments)?:?$",
    re.IGNORECASE,
)
_ARGUMENTS_ON = re.compile(r"\bargument", re.IGNORECASE)
_ARGUMENTS_OFF = re.compile(r"\battribute|\bimport\b|\btimeouts?\b|\bexample|\bexported\b", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")
_NESTED_WORDS = re.compile(
    r"`\s+(?:\w+\s+){0,3}?(?:within|inside|under|nested in|of|in|for)\s+(?:the\s+|a\s+|an\s+|each\s+)?(?:\w+\s+)?`"
)


def _strip_code_fences(lines: Iterable[str]) -> Iterator[str]:
    fenced = False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
            yield ""
            continue
        yield "" if fenced else line


def _names_of_heading(text: str) -> list[str]:
    ticked = _TICKED.findall(text)
    if ticked:
        return ticked
    first = text.strip().split(" ")[0] if text.strip() else ""
    return [first] if _IDENTIFIER.match(first) else []


def _section_from_names(names: Sequence[str], nested_wording: bool, anchor: str | None, position: int) -> Section:
    """A block section named by backticked names: "`a` block within `b`" names a, "`b` `a` block" names a."""
    chosen = names[0] if nested_wording else names[-1]
    parts = chosen.split(".")
    others = tuple(part for name in names if name is not chosen for part in name.split("."))
    return Section(name=parts[-1], hints=(*parts[:-1], *others), anchor=anchor, position=position)


def heading_section(text: str, position: int) -> Section | None:
    """The section a heading inside the argument part opens: the root, a named block, or None (anonymous)."""
    if _ROOT_SENTENCE.search(text.strip()) or _ARGUMENTS_ON.search(text):
        return Section(name=None, position=position)
    names = _names_of_heading(text)
    if not names:
        return None
    return _section_from_names(names, False, None, position)


def sentence_section(line: str, position: int) -> Section | None:
    """The section a sentence opens ("The `destination` block supports:"), or None when it opens none."""
    anchor_match = _ANCHOR.search(line)
    anchor = anchor_match.group(1) if anchor_match else None
    text = _ANCHOR.sub("", line).strip()
    if _ROOT_SENTENCE.search(text):
        return Section(name=None, position=position)
    if text.startswith(("->", "~>", "!>", "*", "|", "<")) or not text:
        return None
    lowered = text.lower()
    if not ("support" in lowered or "following" in lowered) or not text.rstrip().endswith(":"):
        return None
    names = _TICKED.findall(text)
    if not names:
        return None
    return _section_from_names(names, bool(_NESTED_WORDS.search(text)), anchor, position)


def _attach_bullet(section: Section, stack: list[tuple[int, Argument]], indent: int, argument: Argument) -> None:
    while stack and stack[-1][0] >= indent:
        stack.pop()
    if stack:
        stack[-1][1].children.append(argument)
    else:
        section.arguments.append(argument)
    stack.append((indent, argument))


def _continues_description(line: str) -> bool:
    return bool(line.strip()) and line[:1] in (" ", "\t") and not _BULLET.match(line)


def parse_sections(markdown: str) -> list[Section]:
    """The argument sections of a documentation page, in document order. Attribute sections are skipped."""
    sections: list[Section] = []
    arguments_on = False
    current: Section | None = None
    stack: list[tuple[int, Argument]] = []
    last: Argument | None = None
    for position, line in enumerate(_strip_code_fences(markdown.splitlines())):
        heading = _HEADING.match(line)
        if heading:
            level, text = len(heading.group(1)), heading.group(2)
            last = None
            if level <= 2 and _ARGUMENTS_OFF.search(text) and not _ARGUMENTS_ON.search(text):
                arguments_on, current = False, None
                continue
            if level <= 2 and _ARGUMENTS_ON.search(text):
                arguments_on = True
            if arguments_on:
                current = heading_section(text, position)
                if current is not None:
                    sections.append(current)
                stack = []
            continue
        if not arguments_on:
            continue
        bullet = _BULLET.match(line)
        if bullet and current is not None:
            indent, name, rest = len(bullet.group(1).expandtabs(4)), bullet.group(2), bullet.group(3)
            last = Argument(name=name.split(".")[-1], description=rest.strip())
            _attach_bullet(current, stack, indent, last)
            continue
        if bullet:
            continue
        if last is not None and _continues_description(line):
            last.description = f"{last.description} {line.strip()}".strip()
            continue
        if not line.strip():
            continue
        opened = sentence_section(line, position)
        if opened is not None:
            current, stack, last = opened, [], None
            sections.append(opened)
        else:
            last = None
    return sections


def _is_output(argument: Argument) -> bool:
    return argument.description.lstrip().startswith("(Output")


# --------------------------------------------------------------------------------------------------------
# Sections -> dotted paths (pure)
# --------------------------------------------------------------------------------------------------------


def _pick_section(candidates: Sequence[Section], path: Sequence[str], parent: Section | None) -> Section | None:
    if not candidates:
        return None
    anchored = [s for s in candidates if s.anchor and s.anchor.removeprefix("nested_") == "_".join(path)]
    if anchored:
        return anchored[0]
    if any(s.anchor for s in candidates) and len(path) > 1:
        tail = [s for s in candidates if s.anchor and "_".join(path).endswith(s.anchor.removeprefix("nested_"))]
        if tail:
            return tail[0]
    parent_name = path[-2] if len(path) > 1 else None
    hinted = [s for s in candidates if parent_name is not None and parent_name in s.hints]
    if hinted:
        return hinted[0]
    plain = [s for s in candidates if not s.hints] or list(candidates)
    after = [s for s in plain if parent is not None and s.position > parent.position]
    return (after or plain)[0]


def _walk(
    arguments: Sequence[Argument],
    prefix: tuple[str, ...],
    owner: Section | None,
    blocks: Mapping[str, Sequence[Section]],
) -> Iterator[PathArgument]:
    for argument in arguments:
        if _is_output(argument):
            continue
        path = (*prefix, argument.name)
        section = None if argument.name in prefix else _pick_section(blocks.get(argument.name, ()), path, owner)
        children = list(argument.children)
        if section is not None and len(path) < 10:
            children.extend(section.arguments)
        yield PathArgument(".".join(path), argument.name, argument.description, prefix, bool(children))
        if children and len(path) < 10:
            yield from _walk(children, path, section or owner, blocks)


def argument_paths(sections: Sequence[Section]) -> list[PathArgument]:
    """Every argument of the page as a dotted path, nested blocks joined to the argument that names them."""
    blocks: dict[str, list[Section]] = {}
    roots: list[Argument] = []
    for section in sections:
        if not section.arguments:
            continue
        if section.name is None:
            roots.extend(section.arguments)
        else:
            blocks.setdefault(section.name, []).append(section)
    seen: set[str] = set()
    unique: list[PathArgument] = []
    for item in _walk(roots, (), None, blocks):
        if item.path not in seen:
            seen.add(item.path)
            unique.append(item)
    return unique


# --------------------------------------------------------------------------------------------------------
# Roles (pure)
# --------------------------------------------------------------------------------------------------------


def snake_case(name: str) -> str:
    """``createMode`` -> ``create_mode``; snake_case names are returned unchanged."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _is_reference_name(name: str, description: str) -> bool:
    return not NOT_A_REFERENCE.search(name) and not NUMBER_OR_FLAG.search(description)


def _place_role(name: str, description: str) -> str | None:
    if _matches(name, NOT_A_PLACE):
        return None
    if name.endswith(("location", "locations")) and PATH_LIKE.search(description):
        return "destination" if _matches(name, PATH_DESTINATION) else None
    return "place"


def name_role(name: str, description: str = "") -> str | None:
    """The role a name has by itself (exact names, then patterns), checked against its description."""
    name = snake_case(name)
    exact = EXACT_ROLES.get(name)
    if exact == "place":
        return _place_role(name, description)
    if exact is not None:
        return exact
    for role, patterns in ROLE_PATTERNS:
        if not _matches(name, patterns):
            continue
        if role == "place":
            return _place_role(name, description)
        if role == "create_mode" or _is_reference_name(name, description):
            return role
        return None
    return None


def contextual_role(name: str, description: str, ancestors: Sequence[str], resource_type: str) -> str | None:
    """The role a name has because of the blocks it sits in (a bucket under `logging`), or None."""
    name = snake_case(name)
    blocks = [snake_case(block) for block in ancestors]
    if not _is_reference_name(name, description):
        return None
    # Under a delivery block, or under any block of a delivery type (a Firehose stream's `*_configuration`).
    delivery = any(DELIVERY_BLOCK.search(block) for block in blocks) or (
        bool(blocks) and bool(DELIVERY_BLOCK.search(resource_type.split("_", 1)[-1]))
    )
    if delivery and _matches(name, ("bucket", "*_bucket", "*_bucket_name", "*_bucket_arn", "storage_account_id",
                                    "*_arn")):
        return "destination"
    if name == "storage_account_id" and DELIVERY_BLOCK.search(resource_type.split("_", 1)[-1]):
        return "destination"
    if _matches(name, ("*_gateway_id", "*_gateway_ids")) and re.search(
        r"connection|peering|attachment", resource_type
    ):
        return "peer"
    for block in reversed(blocks):
        inherited = name_role(block)
        if inherited in INHERITED_ROLES and _matches(name, REFERENCE_LEAF):
            return inherited
    return None


def classify(item: PathArgument, resource_type: str) -> str | None:
    """The role of one argument path, or None. Under a block named as a source, a destination is the source."""
    role = name_role(item.name, item.description) or contextual_role(
        item.name, item.description, item.ancestors, resource_type
    )
    if role == "place" and item.is_block:
        return None  # a block named like a place (`geo_location`) holds the place argument; it is not one
    if role == "destination" and any(re.search(r"(?:^|_)source(?:_|$)", snake_case(a)) for a in item.ancestors):
        return "source"
    return role


def roles_of(paths: Sequence[PathArgument], resource_type: str) -> dict[str, str]:
    """Path -> role for every argument path that has one."""
    roles: dict[str, str] = {}
    for item in paths:
        role = classify(item, resource_type)
        if role is not None:
            roles[item.path] = role
    return roles


# --------------------------------------------------------------------------------------------------------
# Location (pure)
# --------------------------------------------------------------------------------------------------------


def _parent_candidates(top_level: Sequence[PathArgument], resource_type: str) -> list[PathArgument]:
    """Top-level `*_id`/`*_name`/`*_arn` arguments that may name a parent; not the type's own id (`secret_id` of
    google_secret_manager_secret), nor the kinds listed in NOT_A_PARENT."""
    return [
        item for item in top_level
        if _matches(item.name, ("*_id", "*_name", "*_arn")) and not _matches(item.name, NOT_A_PARENT)
        and not resource_type.endswith("_" + re.sub(r"_(?:id|name|arn)$", "", item.name))
    ]


def located_by(provider: str, paths: Sequence[PathArgument], resource_type: str = "") -> str | dict[str, str]:
    """``own``, ``provider``, ``{"from": argument}`` or ``none`` for a type with these argument paths."""
    top_level = [item for item in paths if not item.ancestors]
    names = {item.name for item in top_level}
    own = {"aws": ("region",)}.get(provider, OWN_PLACE_ARGUMENTS)
    if any(name in names for name in own):
        return "own"
    if provider == "aws":
        return "provider"
    if "parent_id" in names:
        return {"from": "parent_id"}
    candidates = _parent_candidates(top_level, resource_type)
    described = [item for item in candidates if PARENT_DESCRIPTION.search(item.description)]
    if described:
        return {"from": described[0].name}
    # Google names many things `*_name` that are no parent (`first_name`, `dns_name`): its fallback takes `*_id`.
    fallback = [item for item in candidates if provider != "google" or item.name.endswith("_id")]
    required = [item for item in fallback if _required(item.description)]
    if required:
        return {"from": required[0].name}
    referenced = [
        item for item in top_level
        if _required(item.description) and item.name not in NOT_A_PARENT and not item.is_block
        and REFERENCE_DESCRIPTION.search(_after_markers(item.description))
    ]
    if referenced:
        return {"from": referenced[0].name}
    return "none"


def _after_markers(description: str) -> str:
    return re.sub(r"^(?:\([^)]*\)\s*)+", "", description.strip())


def _required(description: str) -> bool:
    return description.lstrip("( ").lower().startswith("required")


ENCRYPTION_NAME = re.compile(r"(?:^|_)(?:encrypt\w*|encrypted|kms|cmk|sse|cmek)(?:_|$)"
                             r"|key_vault_key|customer_managed_key|encryption_key|encryption_set")
"""A path segment that says how data is encrypted at rest: ``kms_key_id``, ``storage_encrypted``,
``server_side_encryption``, ``customer_managed_key``, ``key_vault_key_id``, ``disk_encryption_set_id``."""


def encryption_paths(paths: Sequence[PathArgument]) -> tuple[str, ...]:
    """The argument paths any segment of which names at-rest encryption, sorted."""
    return tuple(sorted(item.path for item in paths
                        if any(ENCRYPTION_NAME.search(segment) for segment in item.path.split("."))))


def catalogue_type(provider: str, resource_type: str, markdown: str) -> TypeCatalogue:
    """What the catalogue says of one type, from its documentation page."""
    paths = argument_paths(parse_sections(markdown))
    return TypeCatalogue(located=located_by(provider, paths, resource_type), arguments=roles_of(paths, resource_type),
                         encryption=encryption_paths(paths))


# --------------------------------------------------------------------------------------------------------
# azapi: ARM types and the properties their example bodies set (pure)
# --------------------------------------------------------------------------------------------------------

_AZAPI_TITLE = re.compile(r"^#\s+([A-Za-z0-9.]+/[A-Za-z0-9./]+)\s+-", re.MULTILINE)
_HCL_RESOURCE = re.compile(r'^resource\s+"azapi_resource"\s+"[^"]+"\s*\{', re.MULTILINE)
_HCL_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\")\s*=\s*(.*)$")


def _hcl_block(text: str, start: int) -> str:
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and char == "}":
            return text[start: index + 1]
        index += 1
    return text[start:]


def _body_paths(block: str) -> tuple[list[str], set[str]]:
    """Dotted property paths set by the ``body`` of one azapi_resource block, and its top-level argument names."""
    paths: list[str] = []
    top: set[str] = set()
    stack: list[str | None] = []
    for line in block.splitlines()[1:]:
        stripped = line.strip()
        assign = _HCL_ASSIGN.match(line)
        if assign:
            key, value = assign.group(1).strip('"'), assign.group(2).strip()
            if not stack:
                top.add(key)
            path_prefix = [part for part in stack if part]
            if stack and stack[0] == "body" and not value.startswith(("{", "[")):
                paths.append(".".join([*path_prefix[1:], key]))
            opens = value.count("{") + value.count("[") - value.count("}") - value.count("]")
            if opens > 0:
                stack.append(key)
                stack.extend([None] * (opens - 1))
            continue
        opens = stripped.count("{") + stripped.count("[") - stripped.count("}") - stripped.count("]")
        if opens > 0:
            stack.extend([None] * opens)
        for _ in range(-opens):
            if stack:
                stack.pop()
    return paths, top


def azapi_type(markdown: str) -> tuple[str, TypeCatalogue] | None:
    """The ARM type of an azapi example page and what its example bodies say, or None for other pages."""
    title = _AZAPI_TITLE.search(markdown)
    if not title:
        return None
    arm_type = title.group(1)
    properties: set[str] = set()
    top: set[str] = set()
    for match in _HCL_RESOURCE.finditer(markdown):
        block = _hcl_block(markdown, match.end() - 1)
        type_match = re.search(r'^\s*type\s*=\s*"([^"@]+)', block, re.MULTILINE)
        if not type_match or type_match.group(1).lower() != arm_type.lower():
            continue
        paths, names = _body_paths(block)
        properties.update(paths)
        top.update(names)
    arguments: dict[str, str] = {}
    for path in sorted(properties):
        segments = path.split(".")
        item = PathArgument(path, segments[-1], "", tuple(segments[:-1]), False)
        role = classify(item, "azapi_resource")
        if role is not None:
            arguments[path] = role
    located: str | dict[str, str] = "own" if "location" in top else {"from": "parent_id"}
    return f"azapi_resource {arm_type}", TypeCatalogue(located=located, arguments=arguments)


# --------------------------------------------------------------------------------------------------------
# Versions (pure)
# --------------------------------------------------------------------------------------------------------


def changelog_version(changelog: str) -> str | None:
    """The newest released version a CHANGELOG names (``## 5.45.0 (April 11, 2024)``; not "Unreleased")."""
    for line in changelog.splitlines():
        match = re.match(r"^##\s+v?(\d+\.\d+\.\d+\S*)(.*)$", line)
        if match and "unreleased" not in match.group(2).lower():
            return match.group(1)
    return None


def type_name(provider: str, filename: str) -> str:
    """``s3_bucket.html.markdown`` of aws -> ``aws_s3_bucket``."""
    stem = re.sub(r"(\.html)?\.(markdown|md)$", "", filename.rsplit("/", 1)[-1])
    return f"{provider}_{stem}"


# --------------------------------------------------------------------------------------------------------
# Reading the repositories (I/O)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderDocs:
    pages: Mapping[str, str]
    commit: str | None
    version: str | None


def _git(arguments: Sequence[str]) -> bytes:
    return subprocess.run(["git", *arguments], check=True, capture_output=True).stdout


def _is_git_directory(directory: Path) -> bool:
    return (directory / "HEAD").is_file() and (directory / "objects").is_dir()


def _read_git_directory(directory: Path, doc_directories: Sequence[str]) -> ProviderDocs:
    git_dir = f"--git-dir={directory}"
    archive = _git([git_dir, "archive", "HEAD", *doc_directories])
    pages: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None and member.name.endswith(("markdown", ".md")):
                pages[member.name.rsplit("/", 1)[-1]] = handle.read().decode("utf-8", errors="replace")
    commit = _git([git_dir, "rev-parse", "HEAD"]).decode().strip()
    try:
        changelog = _git([git_dir, "show", "HEAD:CHANGELOG.md"]).decode("utf-8", errors="replace")
    except subprocess.CalledProcessError:
        changelog = ""
    return ProviderDocs(pages, commit, changelog_version(changelog))


def _read_directory(directory: Path, doc_directories: Sequence[str]) -> ProviderDocs:
    docs = next((directory / sub for sub in doc_directories if (directory / sub).is_dir()), directory)
    pages = {
        path.name: path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(docs.iterdir())
        if path.is_file() and path.name.endswith(("markdown", ".md"))
    }
    commit = None
    if (directory / ".git").exists():
        commit = _git(["-C", str(directory), "rev-parse", "HEAD"]).decode().strip()
    changelog = directory / "CHANGELOG.md"
    version = changelog_version(changelog.read_text(encoding="utf-8")) if changelog.is_file() else None
    return ProviderDocs(pages, commit, version)


def read_provider(directory: Path, provider: str) -> ProviderDocs:
    """The documentation pages of a checkout, a bare git directory or a directory of extracted pages."""
    if _is_git_directory(directory):
        return _read_git_directory(directory, DOC_DIRECTORIES[provider])
    return _read_directory(directory, DOC_DIRECTORIES[provider])


# --------------------------------------------------------------------------------------------------------
# The catalogue (pure) and its file
# --------------------------------------------------------------------------------------------------------


def _unique_pages(pages: Mapping[str, str], provider: str) -> dict[str, str]:
    """Type -> page; a type documented twice (``x.html.markdown`` and ``x.markdown``) keeps its first name."""
    chosen: dict[str, str] = {}
    for filename in sorted(pages):
        chosen.setdefault(type_name(provider, filename), pages[filename])
    return chosen


def build_types(provider: str, pages: Mapping[str, str]) -> dict[str, TypeCatalogue]:
    """Every resource type of one provider's documentation pages."""
    if provider == "azapi":
        found = (azapi_type(text) for text in pages.values())
        return dict(sorted(item for item in found if item is not None))
    return {
        resource_type: catalogue_type(provider, resource_type, text)
        for resource_type, text in sorted(_unique_pages(pages, provider).items())
    }


def _type_entry(entry: TypeCatalogue) -> dict[str, object]:
    found: dict[str, object] = {"located": entry.located, "arguments": dict(sorted(entry.arguments.items()))}
    if entry.encryption:
        found["encryption"] = list(entry.encryption)
    return found


def _worth_listing(entry: TypeCatalogue) -> bool:
    return bool(entry.arguments) or bool(entry.encryption) or entry.located not in ("own", "provider")


HEADER = """\
# The data-moving arguments of every resource type of the aws, azurerm and google providers (and the ARM types
# of azapi's example pages), and where each type takes its location from. GENERATED: do not edit by hand.
# Regenerate with the command below, where each DIR is a checkout, a bare git directory or the extracted docs
# of the repository (and commit) in `sources`.
# Read from the providers' documentation pages (website/docs/r): argument names only, no descriptions.
#
# The top-level key is `catalogue`, not `types`: resource_map.py merges the `types` of every file in this
# directory into the resource map, and these entries are leads, not rules.
#
# catalogue.<type>.arguments: dotted argument path (nested blocks joined by ".") -> role
#   place        names a region, location or zone
#   destination  names where data is sent, copied, exported or replicated to
#   source       names where this resource's data is copied or restored from
#   create_mode  says how the resource is created (default, copy, restore, replica, secondary)
#   peer         names the other end of a peering, connection or VPN
#   endpoint     a URL, URI, host or endpoint something connects or delivers to
# catalogue.<type>.located:
#   own          the type has a top-level region/location/zone argument
#   provider     (AWS) placed by the provider's region: the type has no `region` argument of its own
#   {from: A}    lives in the parent resource the top-level argument A names (parent_id, server_id, dataset_id)
#   none         nothing in the arguments says where it is (global, or placed by the provider's defaults)
# catalogue.<type>.encryption: argument paths that say how data is encrypted at rest (a key, a switch): leads
#   for resource_map/encryption.yaml, which is written by hand (azapi: none are listed)
# Roles are name heuristics (catalogue_generator.py documents them): a lead to follow, not a verdict.
"""


def header_notes(sources: Mapping[str, Mapping[str, str]], command: str) -> list[str]:
    """Header lines that say how this file was made and what its sources cannot say."""
    notes = ["Generated with", f"  {command}"]
    for provider, info in sorted(sources.items()):
        if "read_from" in info:
            notes.append(f"{provider} was read from {info['read_from']}, a fork of {info['repository']}, at the")
            notes.append("commit below (a merge of upstream history); no snapshot of the upstream itself could be had.")
    aws_version = sources.get("aws", {}).get("version", "")
    if aws_version and int(aws_version.split(".")[0]) < 6:
        notes.append(f"AWS provider {aws_version} predates resource-level `region` arguments (6.0): its types say")
        notes.append("`provider`; read from 6.x docs they say `own`, which means the same unless `region` is set.")
    if "azapi" in sources:
        notes.append("azapi: types are `azapi_resource <ARM type>`, from azapi's per-ARM-type example pages; their")
        notes.append("arguments are only the properties the examples' `body` sets (paths into the ARM resource).")
    else:
        notes.append("azapi: not read (no --azapi DIR); ARM types are not listed.")
    return notes


def render(sources: Mapping[str, Mapping[str, str]], types: Mapping[str, Mapping[str, TypeCatalogue]],
           notes: Sequence[str] = ()) -> str:
    """The YAML text of the catalogue; when every type would not fit in SIZE_LIMIT, only types worth listing."""
    merged = {name: entry for provider_types in types.values() for name, entry in provider_types.items()}
    document: dict[str, object] = {"sources": {name: dict(info) for name, info in sorted(sources.items())}}
    body = {"catalogue": {name: _type_entry(entry) for name, entry in sorted(merged.items())}}
    text = yaml.safe_dump(body, sort_keys=True, default_flow_style=False, width=120)
    if len(text) > SIZE_LIMIT:
        document["type_counts"] = {provider: len(entries) for provider, entries in sorted(types.items())}
        kept = {name: _type_entry(entry) for name, entry in sorted(merged.items()) if _worth_listing(entry)}
        text = yaml.safe_dump({"catalogue": kept}, sort_keys=True, default_flow_style=False, width=120)
    head = yaml.safe_dump(document, sort_keys=True, default_flow_style=None, width=200)
    note_lines = "".join(f"# {line}".rstrip() + "\n" for line in notes)
    return HEADER + note_lines + head + text


def command_line(options: argparse.Namespace) -> str:
    """The command that regenerates the file, directories as placeholders (``--aws AWS_DIR``)."""
    parts = ["python -m providers.semantics.catalogue_generator"]
    parts += [f"--{name} {name.upper()}_DIR" for name in PROVIDERS if getattr(options, name) is not None]
    parts += [f"--read-from {value}" for value in options.read_from]
    parts.append(f"--output {options.output.as_posix()}")
    return " ".join(parts)


def _source_info(provider: str, docs: ProviderDocs, repository: str | None) -> dict[str, str]:
    info = {"repository": repository or PROVIDERS[provider]}
    if docs.commit:
        info["commit"] = docs.commit
    if docs.version:
        info["version"] = docs.version
    return info


def _key_values(values: Sequence[str]) -> dict[str, str]:
    pairs = (value.split("=", 1) for value in values)
    return {key: value for key, value in pairs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for provider in PROVIDERS:
        parser.add_argument(f"--{provider}", type=Path, required=provider != "azapi",
                            help=f"checkout, git directory or extracted docs of {PROVIDERS[provider]}")
    parser.add_argument("--read-from", action="append", default=[], metavar="PROVIDER=OWNER/NAME",
                        help="the repository the DIR was taken from when it is a fork or mirror of the upstream")
    parser.add_argument("--output", type=Path, required=True)
    options = parser.parse_args(argv)
    read_from = _key_values(options.read_from)
    sources: dict[str, dict[str, str]] = {}
    types: dict[str, dict[str, TypeCatalogue]] = {}
    for provider in PROVIDERS:
        directory = getattr(options, provider)
        if directory is None:
            continue
        docs = read_provider(directory, provider)
        sources[provider] = _source_info(provider, docs, None)
        if provider in read_from:
            sources[provider]["read_from"] = read_from[provider]
        types[provider] = build_types(provider, docs.pages)
    notes = header_notes(sources, command_line(options))
    options.output.write_text(render(sources, types, notes), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
