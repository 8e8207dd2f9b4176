"""Which resources an AWS Backup selection backs up, as AWS documents it.

A selection names resources by ARN (``resources``: references, ARNs, or patterns with ``*`` in any field, a
``*`` region meaning every region), by tag (``selection_tag`` blocks, any of which selects), narrowed by
``condition`` (every condition must hold for what ``resources`` selects) and minus ``not_resources``. Matching
is three-valued: a resource whose ARN field or tag is not known may be the one a pattern names, and is taken
(its copy is then judged), never dropped.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.resource_map import arn_template

_FIELD = re.compile(r"\{(\w+)\}")
_WILD = "*"
_TAG_KEY = "aws:ResourceTag/"


Referenced = Callable[[Any], ResourceRecord | None]
"""The record a value points at (``NormaliseContext.referenced``)."""
RegionOf = Callable[[ResourceRecord], str | None]
"""Where a record is placed (its location's region)."""


def selected(records: Sequence[ResourceRecord], selection: ResourceRecord, referenced: Referenced,
             region_of: RegionOf) -> list[ResourceRecord]:
    """The scanned resources ``selection`` backs up (references first, then patterns, then tags)."""
    values = selection.values
    chosen: dict[str, ResourceRecord] = {}
    patterns: list[str] = []
    for value in _items(values, "resources"):
        target = referenced(value)
        if target is not None and not (isinstance(value, str) and _WILD in value):
            chosen.setdefault(target.address, target)
        elif isinstance(value, str):
            patterns.append(value)
    conditions = list(_conditions(values))
    candidates = [r for r in records if r.mode == "managed" and arn_template(r.type)]
    for record in candidates:
        arn = _arn(record, region_of)
        by_arn = any(_may_match(arn, p) for p in patterns) and all(_condition_may_hold(record, c) for c in conditions)
        if by_arn or any(_tag_may_match(record, tag) for tag in _items(values, "selection_tag")):
            chosen.setdefault(record.address, record)
    excluded = [v for v in _items(values, "not_resources") if isinstance(v, str | Unknown)]
    return [r for r in chosen.values() if not any(_excludes(r, v, referenced, region_of) for v in excluded)]


def _items(values: Mapping[str, Any], key: str) -> list[Any]:
    """A list attribute or block's items; an unknown list is one unknown item."""
    found = values.get(key)
    if isinstance(found, list | tuple):
        return list(found)
    return [] if found is None else [found]


def _arn(record: ResourceRecord, region_of: RegionOf) -> list[str | None]:
    """The record's ARN as its six fields, None where a field is not known."""
    template = arn_template(record.type) or ""
    account = record.placement.account
    region = region_of(record)

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        value: Any = {"region": region, "account": account}.get(name, record.values.get(name))
        return value if isinstance(value, str) and value else "\x00"

    built = _FIELD.sub(field, template)
    return [None if "\x00" in part and part.replace("\x00", "") == "" else part for part in built.split(":", 5)]


def _may_match(arn: list[str | None], pattern: str) -> bool:
    """Whether the ARN (fields possibly unknown) may be one ``pattern`` names: field by field, ``*`` anywhere."""
    if pattern == _WILD:
        return True
    wanted = pattern.split(":", 5)
    if len(wanted) != len(arn):
        return False
    for have, want in zip(arn, wanted, strict=True):
        if have is None or want == _WILD:
            continue
        if "\x00" in have:
            # A known prefix and an unknown rest (``table/<unknown name>``): may match if the prefix can.
            prefix = have.split("\x00", 1)[0]
            if not (fnmatch.fnmatchcase(prefix, want[: len(prefix)]) or want.startswith(prefix)
                    or fnmatch.fnmatchcase(prefix + "x", want.split(_WILD, 1)[0] + _WILD)):
                return False
            continue
        if not fnmatch.fnmatchcase(have, want):
            return False
    return True


def _conditions(values: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """``(operator, tag key, value)`` for every condition block: all must hold."""
    for condition in _items(values, "condition"):
        if not isinstance(condition, Mapping):
            continue
        for operator in ("string_equals", "string_like", "string_not_equals", "string_not_like"):
            for item in _items(condition, operator):
                if isinstance(item, Mapping):
                    key = item.get("key")
                    if isinstance(key, str):
                        yield operator, key.removeprefix(_TAG_KEY), item.get("value")


def _tag(record: ResourceRecord, key: str) -> Any:
    """The record's tag ``key``: its value, None when absent, an Unknown when its tags are not known."""
    for attribute in ("tags_all", "tags"):
        tags = record.values.get(attribute)
        if isinstance(tags, Unknown):
            return tags
        if isinstance(tags, Mapping) and key in tags:
            return tags[key]
    default = record.placement.default_tags
    if isinstance(default.get("__unknown__"), Unknown):
        return default["__unknown__"]
    return default.get(key)


def _condition_may_hold(record: ResourceRecord, condition: tuple[str, str, Any]) -> bool:
    operator, key, wanted = condition
    have = _tag(record, key)
    if isinstance(have, Unknown) or isinstance(wanted, Unknown):
        return True
    matches = isinstance(have, str) and isinstance(wanted, str) and (
        fnmatch.fnmatchcase(have, wanted) if operator.endswith("like") else have == wanted)
    return not matches if "_not_" in operator else matches


def _tag_may_match(record: ResourceRecord, tag: Any) -> bool:
    if not isinstance(tag, Mapping):
        return False
    key, wanted = tag.get("key"), tag.get("value")
    if isinstance(key, Unknown) or isinstance(wanted, Unknown):
        return True
    if not isinstance(key, str):
        return False
    have = _tag(record, key)
    return isinstance(have, Unknown) or have == wanted


def _excludes(record: ResourceRecord, value: Any, referenced: Referenced, region_of: RegionOf) -> bool:
    """Whether a ``not_resources`` entry certainly names the record (an unknown one excludes nothing)."""
    if isinstance(value, Unknown):
        return referenced(value) is record
    if _WILD not in value and referenced(value) is record:
        return True
    arn = _arn(record, region_of)
    return None not in arn and not any("\x00" in (f or "") for f in arn) and _may_match(arn, value)
