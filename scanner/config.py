"""The config file, ``offshore-scan.yaml``: what counts as DWP, for estates whose tags say more.

Example (every key optional)::

    dwp:
      classification_keys: [gsc, protective-marking]   # more tag keys holding a classification
      owner_keys: [business-unit]                        # more tag keys naming an owner
      owner_patterns: ['(?i)^dwp-']                      # more owner values that mean DWP
      tags:                                              # any other tag key -> value patterns
        Business-Project: ['^PRJ\\d{7}$']
      accounts: ["111122223333"]                         # AWS accounts wholly DWP
      subscriptions: ["00000000-0000-0000-0000-000000000000"]  # Azure subscriptions wholly DWP
      resource_group_tags: true                          # live Azure: a resource group's tags count for its resources
      projects: [dwp-claims-prod]
      namespaces: [claims]                               # Kubernetes namespaces wholly DWP
    scope: tagged                                        # or: all
    fail_on: high                                        # critical|high|medium|low|never
    severity: [critical, high]                           # report only these (--severity)
    check: [OFS-REPL-001]                                # report only these rules (--check)
    skip_check: [OFS-GRD-001]                            # never report these rules (--skip-check)
    skip_path: ['examples/*']                            # do not read these, relative to the scanned root
    estate:                                              # who is behind ids, and where
      accounts:   {"111122223333": {owner: Contractor Ltd, country: GB}}
      tenants:    {"3f2b...": {owner: Offshore MSP, country: IN}}
      principals: {"arn:aws:iam::444455556666:role/support": {owner: Support desk, country: PH}}
      networks:   {"203.0.113.0/24": {owner: Delivery centre, country: IN}}
      locations:  {"EqLD5": {owner: Equinix London, country: GB}}
    cluster_region: eu-west-2                            # the Kubernetes cluster's region (--cluster-region)
    upstream_images: [registry.example.gov.uk/mirror/]   # more vendor/upstream image prefixes (not DWP-built)
    endpoints:                                           # telemetry hosts the catalogue cannot place
      otel.collector.example.gov.uk: GB
      "*.live.dynatrace.com": DE
    estate_name: Claims platform                         # the evidence pack's cover (default: directory name)
    adequacy:                                            # UK adequacy entries over scanner/data/adequacy.yaml
      KR: {name: Republic of Korea, scope: partial, regulation: "...", covers: "..."}
      XX: {scope: none}                                  # a country no longer covered
    protective_marking: OFFICIAL-SENSITIVE               # the evidence pack's marking (default: highest found)

Keys are normalised as tags are (case, prefixes and separators ignored).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from providers.semantics.classification import ClassificationRules, normalise_key
from providers.semantics.estate import EstateMap, Party
from providers.semantics.patterns import PatternError, compile_linear
from scanner.user_files import UserFileError, read_user_text
from scanner.yaml_data import YamlRefused, YamlValueError, load_user_yaml

CONFIG_FILENAME = "offshore-scan.yaml"
_TOP_LEVEL_KEYS = {"dwp", "scope", "fail_on", "estate", "endpoints", "cluster_region", "upstream_images",
                   "estate_name", "adequacy", "protective_marking", "severity", "check", "skip_check", "skip_path"}
_ESTATE_KEYS = ("accounts", "tenants", "principals", "networks", "locations")
_DWP_KEYS = {
    "classification_keys", "owner_keys", "owner_patterns", "tags",
    "accounts", "subscriptions", "projects", "namespaces", "resource_group_tags",
}
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "never")
SEVERITIES = ("critical", "high", "medium", "low")


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """Settings from the config file; command-line flags override them."""

    rules: ClassificationRules = field(default_factory=ClassificationRules)
    """How DWP resources are recognised."""
    scope: str | None = None
    """``tagged`` or ``all``; None when the file does not say."""
    fail_on: str | None = None
    """Threshold for exit code 1; None when the file does not say."""
    path: str | None = None
    """Where the config came from, for the report header."""
    estate: EstateMap = field(default_factory=EstateMap)
    """Who is behind accounts, tenants, principals and networks, and where."""
    endpoints: Mapping[str, str] = field(default_factory=dict)
    """Telemetry host (or ``*.suffix``) -> ISO country, consulted before the endpoint catalogue."""
    cluster_region: str | None = None
    """Region of the Kubernetes cluster the manifests land on; ``--cluster-region`` wins."""
    upstream_images: tuple[str, ...] = ()
    """Image prefixes to treat as vendor or upstream-project images, beside the built-in list."""
    estate_name: str | None = None
    """The estate's name on the evidence pack's cover; None: the organisation or the scanned directory's name."""
    adequacy: Mapping[str, Any] = field(default_factory=dict)
    """Country code -> adequacy entry (name, scope, regulation, covers) over ``scanner/data/adequacy.yaml``."""
    protective_marking: str | None = None
    """The evidence pack's protective marking (top and foot of every page); None: the highest marking found, at
    least OFFICIAL-SENSITIVE."""
    resource_group_tags: bool = False
    """Live Azure (``dwp.resource_group_tags``): a resource without a tag of its own takes its resource group's
    tag of the same key, so a group tagged as DWP makes its resources DWP."""
    severity: tuple[str, ...] = ()
    """Report only findings of these severities (``--severity`` wins); empty reports every one."""
    check: tuple[str, ...] = ()
    """Report only these rules, ids or globs (``--check`` wins)."""
    skip_check: tuple[str, ...] = ()
    """Never report these rules (``--skip-check`` wins)."""
    skip_path: tuple[str, ...] = ()
    """Globs of files and directories not read, relative to the scanned root (``--skip-path`` wins)."""


def find_config(explicit: Path | None, scanned: list[Path]) -> Path | None:
    """``--config`` if given, else ``offshore-scan.yaml`` in the first scanned directory that has one."""
    if explicit is not None:
        return explicit
    for path in scanned:
        directory = path if path.is_dir() else path.parent
        candidate = directory / CONFIG_FILENAME
        # Anything by that name is the config: a directory, a dangling symlink or a FIFO is an error when read,
        # never a silent fall back to the defaults.
        if os.path.lexists(candidate):
            return candidate
    return None


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; no file gives the defaults."""
    if path is None:
        return Config()
    try:
        raw = load_user_yaml(read_user_text(path, "config file")) or {}
    except UserFileError as error:
        raise ConfigError(str(error)) from None
    except YamlValueError as error:
        raise ConfigError(f"{path}:{error.line}: {error.key}: YAML cannot read this value ({error.problem})") from None
    except YamlRefused as error:
        raise ConfigError(f"{path}:{error.line}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    unknown = set(raw) - _TOP_LEVEL_KEYS
    if unknown:
        expected = ", ".join(sorted(_TOP_LEVEL_KEYS))
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; expected {expected}")
    scope = raw.get("scope")
    if scope not in (None, "tagged", "all"):
        raise ConfigError(f"{path}: scope must be 'tagged' or 'all', not {scope!r}")
    fail_on = raw.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON_CHOICES:
        raise ConfigError(f"{path}: fail_on must be one of {', '.join(FAIL_ON_CHOICES)}, not {fail_on!r}")
    return Config(
        rules=_rules(path, raw.get("dwp") or {}),
        scope=scope,
        fail_on=fail_on,
        path=str(path),
        estate=_estate(path, raw.get("estate") or {}),
        endpoints=_endpoints(path, raw.get("endpoints") or {}),
        cluster_region=str(raw["cluster_region"]) if raw.get("cluster_region") else None,
        upstream_images=tuple(_strings(path, "upstream_images", raw.get("upstream_images"))),
        resource_group_tags=_flag(path, "dwp.resource_group_tags", (raw.get("dwp") or {}).get("resource_group_tags")),
        estate_name=str(raw["estate_name"]) if raw.get("estate_name") else None,
        adequacy=_adequacy(path, raw.get("adequacy") or {}),
        protective_marking=str(raw["protective_marking"]).strip() or None if raw.get("protective_marking") else None,
        severity=_severity(path, raw.get("severity")),
        check=tuple(_list_or_commas(path, "check", raw.get("check"))),
        skip_check=tuple(_list_or_commas(path, "skip_check", raw.get("skip_check"))),
        skip_path=tuple(_list_or_commas(path, "skip_path", raw.get("skip_path"), commas=False)),
    )


def _adequacy(path: Path, adequacy: Any) -> dict[str, Any]:
    if not isinstance(adequacy, dict) or not all(isinstance(v, dict) for v in adequacy.values()):
        raise ConfigError(f"{path}: adequacy must map ISO country codes to {{name, scope, regulation, covers}}")
    for code, entry in adequacy.items():
        if entry.get("scope", "full") not in ("full", "partial", "none"):
            raise ConfigError(f"{path}: adequacy.{code}.scope must be full, partial or none")
    return {str(code).upper(): dict(entry) for code, entry in adequacy.items()}



def _list_or_commas(path: Path, key: str, value: Any, commas: bool = True) -> list[str]:
    """A list of strings, or (as on the command line) one string of comma-separated values."""
    if isinstance(value, str):
        value = [value]
    items = _strings(path, key, value)
    return [part.strip() for item in items for part in (item.split(",") if commas else [item]) if part.strip()]


def _severity(path: Path, value: Any) -> tuple[str, ...]:
    chosen = [v.lower() for v in _list_or_commas(path, "severity", value)]
    wrong = [v for v in chosen if v not in SEVERITIES]
    if wrong:
        raise ConfigError(f"{path}: severity: {', '.join(wrong)} is no severity; choose from {', '.join(SEVERITIES)}")
    return tuple(chosen)

def _flag(path: Path, key: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {key} must be true or false")
    return value


def _estate(path: Path, estate: Any) -> EstateMap:
    if not isinstance(estate, dict):
        raise ConfigError(f"{path}: estate must be a mapping")
    unknown = set(estate) - set(_ESTATE_KEYS)
    if unknown:
        expected = ", ".join(_ESTATE_KEYS)
        raise ConfigError(f"{path}: unknown estate key(s) {', '.join(sorted(unknown))}; expected {expected}")
    sections: dict[str, dict[str, Party]] = {}
    for section in _ESTATE_KEYS:
        entries = estate.get(section) or {}
        if not isinstance(entries, dict):
            raise ConfigError(f"{path}: estate.{section} must map ids to {{owner, country}}")
        parsed: dict[str, Party] = {}
        for key, entry in entries.items():
            where = f"estate.{section}.{key}"
            if not isinstance(key, str):
                raise ConfigError(f"{path}: {where}: quote ids in the estate map (\"044455556666\"): YAML reads an "
                                  "unquoted number as an integer and drops leading zeros")
            if not isinstance(entry, dict) or "owner" not in entry:
                raise ConfigError(f"{path}: {where} must be a mapping with at least 'owner' (and 'country')")
            if section == "networks":
                _check_network(path, where, key)
            parsed[str(key)] = Party(str(entry["owner"]), _country(path, where, entry.get("country")), "estate map")
        sections[section] = parsed
    return EstateMap(**sections)


def _check_network(path: Path, where: str, key: str) -> None:
    try:
        ipaddress.ip_network(key, strict=False)
    except ValueError:
        raise ConfigError(f"{path}: {where}: not an IP address or CIDR block (for example 203.0.113.0/24)") from None


def _endpoints(path: Path, endpoints: Any) -> dict[str, str]:
    if not isinstance(endpoints, dict):
        raise ConfigError(f"{path}: endpoints must map host names (or *.suffix) to ISO country codes")
    mapped: dict[str, str] = {}
    for host, country in endpoints.items():
        code = _country(path, f"endpoints.{host}", country)
        if code is None:
            raise ConfigError(f"{path}: endpoints.{host} needs a country (an ISO code such as GB)")
        mapped[str(host).lower()] = code
    return mapped


def _country(path: Path, where: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 2 or not value.isalpha():
        raise ConfigError(f"{path}: {where}: country must be an ISO 3166 two-letter code such as GB, not {value!r}")
    return value.upper()


def _rules(path: Path, dwp: Any) -> ClassificationRules:
    if not isinstance(dwp, dict):
        raise ConfigError(f"{path}: dwp must be a mapping")
    unknown = set(dwp) - _DWP_KEYS
    if unknown:
        expected = ", ".join(sorted(_DWP_KEYS))
        raise ConfigError(f"{path}: unknown dwp key(s) {', '.join(sorted(unknown))}; expected {expected}")
    defaults = ClassificationRules()
    tags = dwp.get("tags") or {}
    if not isinstance(tags, dict):
        raise ConfigError(f"{path}: dwp.tags must map tag keys to lists of patterns")
    try:
        extra_tags = {
            normalise_key(key): tuple(compile_linear(p) for p in _strings(path, f"dwp.tags.{key}", patterns))
            for key, patterns in tags.items()
        }
        owner_patterns = tuple(compile_linear(p)
                               for p in _strings(path, "dwp.owner_patterns", dwp.get("owner_patterns")))
    except PatternError as error:
        raise ConfigError(f"{path}: {error}") from None
    scopes = [
        *_strings(path, "dwp.accounts", dwp.get("accounts")),
        *_strings(path, "dwp.subscriptions", dwp.get("subscriptions")),
        *_strings(path, "dwp.projects", dwp.get("projects")),
        *(f"namespace/{n}" for n in _strings(path, "dwp.namespaces", dwp.get("namespaces"))),
    ]
    return ClassificationRules(
        classification_keys=defaults.classification_keys
        | {normalise_key(k) for k in _strings(path, "dwp.classification_keys", dwp.get("classification_keys"))},
        owner_keys=defaults.owner_keys
        | {normalise_key(k) for k in _strings(path, "dwp.owner_keys", dwp.get("owner_keys"))},
        owner_patterns=defaults.owner_patterns + owner_patterns,
        extra_tags=extra_tags,
        dwp_scopes=frozenset(scopes),
    )


def _strings(path: Path, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        raise ConfigError(f"{path}: {key} must be a list of strings")
    if any(not str(v).strip() for v in value):
        # An empty prefix or pattern matches everything: one stray "" would widen or narrow the scope silently.
        raise ConfigError(f"{path}: {key} holds an empty string, which would match everything; remove it")
    return [str(v) for v in value]
