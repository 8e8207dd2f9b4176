"""Which country a telemetry or log destination puts data in: hosts, URLs, DSNs, sites, realms, cloud IDs.

The facts live in ``providers/semantics/data/endpoints.yaml`` (from the residency catalogue, section 4); cloud
regions found inside hostnames are placed by :func:`providers.semantics.geography.place_region`. The file is
loaded on first use and kept for the life of the process, so importing the module does no I/O.

Nothing here raises on strange input. A destination that cannot be placed is an ``Endpoint`` with
``uk=None`` and a note naming the host and how to map it: telemetry goes wherever its collector
forwards it, so an unplaced host is a question for the report, not an answer in either direction.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from providers.semantics.data_files import data_text
from providers.semantics.geography import Place, place_region
from scanner.yaml_data import load_yaml

UK = "GB"

MAP_HINT = "map it in offshore-scan.yaml under endpoints"
PRIVATE_NOTE = "private or in-cluster address: where it forwards to is not known"

# Longer than any URL a config would hold; past this the value is garbage and is not parsed at all.
_MAX_INPUT = 4096
# How much of an unparseable setting is echoed into a report.
_MAX_ECHO = 200
_COUNTRY = re.compile(r"[A-Z]{2}")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")
_LOCAL_SCHEMES = frozenset({"unix", "unix-abstract", "file"})
_CLOUDS = frozenset({"aws", "azure", "gcp"})
_CLOUD_LABEL: Mapping[str, str] = MappingProxyType({"aws": "AWS", "azure": "Azure", "gcp": "GCP"})
# App Insights sends a connection string with only a key (or a bare key) to this global endpoint.
_APP_INSIGHTS_GLOBAL = "dc.services.visualstudio.com"
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Endpoint:
    """Where a telemetry destination puts data."""

    host: str
    """The host, lower-cased; the setting as given (credentials removed, shortened) when there is no host."""
    vendor: str | None
    """``Datadog``, ``New Relic``, ``Splunk Observability``, ``AWS``, ``Azure Monitor`` ...; None when unplaced."""
    site: str | None
    """The vendor's own name for the site or region: ``UK1``, ``eu2``, ``EU``, ``eu-west-2``."""
    country: str | None
    """ISO 3166-1 alpha-2 code; None when it cannot be said."""
    uk: bool | None
    """True only when the data stays in the UK; False when it does not; None when unknown (never guessed)."""
    note: str | None
    """Why, ready for a finding: ``Datadog UK1 (London, AWS eu-west-2)``, or what to do about an unknown host."""


@dataclass(frozen=True)
class _Rule:
    """What the catalogue says about the hosts one entry matches."""

    vendor: str
    """As ``Endpoint.vendor``."""
    site: str | None
    """As ``Endpoint.site``."""
    country: str | None
    """As ``Endpoint.country``."""
    uk: bool | None
    """As ``Endpoint.uk``: derived from ``country``, or the entry's explicit ``uk: false``."""
    where: str | None
    """Human description of the place (``London, AWS eu-west-2``), shown in brackets after the site."""
    remark: str | None
    """Anything else a reviewer must know; for an unplaced entry, why it cannot be placed."""
    host: str | None = None
    """For a site: the host reported when the site is named rather than a host given."""

    def note(self) -> str:
        """``<vendor> <site> (<where>); <remark>``, or ``<vendor> <site>: <remark>`` without a place."""
        head = " ".join(part for part in (self.vendor, self.site) if part)
        if self.where:
            head = f"{head} ({self.where})"
            return f"{head}; {self.remark}" if self.remark else head
        return f"{head}: {self.remark}" if self.remark else head


@dataclass(frozen=True)
class _Guard:
    """An unknown site of a vendor, spotted by the label just left of one of its base domains."""

    vendor: str
    """The vendor the unknown site belongs to."""
    label: re.Pattern[str]
    """What a site label looks like (``us9``)."""


@dataclass(frozen=True)
class _Pattern:
    """A regular expression over a whole host that reads its region from the host."""

    vendor: str
    """As ``Endpoint.vendor``."""
    regex: re.Pattern[str]
    """Must match the whole host."""
    cloud: str | None
    """The cloud whose region names the ``region`` group holds, unless the host names it in a ``cloud`` group."""
    areas: Mapping[str, _Rule]
    """For slug patterns: the ``area`` group's value -> what that area means."""
    fixed: _Rule | None
    """For patterns that place every match the same way."""


@dataclass(frozen=True)
class _Family:
    """A vendor whose regions are named sites (Datadog sites, Splunk realms, Sumo deployments ...)."""

    vendor: str
    """As ``Endpoint.vendor``."""
    names: Mapping[str, _Rule]
    """Every accepted spelling of every site, lower-cased: site codes, ``names`` and domains."""
    codes: tuple[str, ...]
    """Site codes in file order, for notes that list them."""


@dataclass(frozen=True)
class _Catalogue:
    """endpoints.yaml, checked and indexed for look-ups."""

    exact: Mapping[str, _Rule]
    """Exact hosts."""
    patterns: tuple[_Pattern, ...]
    """Whole-host regular expressions, in file order."""
    domains: Mapping[str, _Rule]
    """Site domains: each matches itself and every host under it."""
    wildcards: Mapping[str, _Rule]
    """``*.x`` entries keyed by ``x``: they match hosts under ``x`` only."""
    guards: Mapping[str, _Guard]
    """Base domain -> how to spot a site under it that the catalogue does not list."""
    families: Mapping[str, _Family]
    """Family key (``datadog``, ``splunk`` ...) -> its sites."""
    private_suffixes: tuple[str, ...]
    """Domains that resolve only inside a cluster or a private network."""


# --- public API -------------------------------------------------------------------------------


def place_endpoint(value: str, extra: Mapping[str, str] | None = None) -> Endpoint:
    """Say where the destination ``value`` puts data.

    ``value`` is a hostname, ``host:port``, a URL, a Sentry DSN or an OTLP endpoint. ``extra`` maps host
    patterns (an exact host or ``*.suffix``) to country codes from the user's config; it is consulted
    first, so it can place a self-hosted collector and overrides the catalogue. Never raises.
    """
    if not isinstance(value, str) or len(value) > _MAX_INPUT:
        return _place_endpoint(value, extra)
    # A rendered chart repeats one collector's address in thousands of workloads: each is placed once (when the
    # config's map is a plain one of strings; anything else is placed as it comes, and said by the placement).
    if not extra:
        return _placed(value, ())
    if isinstance(extra, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
        return _placed(value, tuple(sorted(extra.items())))
    return _place_endpoint(value, extra)


@functools.lru_cache(maxsize=4096)
def _placed(value: str, extra: tuple[tuple[str, str], ...]) -> Endpoint:
    return _place_endpoint(value, dict(extra) or None)


def _place_endpoint(value: Any, extra: Mapping[str, str] | None) -> Endpoint:
    if not isinstance(value, str):
        return _unknown(_echo(repr(value)), f"not a host or URL: {type(value).__name__}")
    text = value.strip().strip("\"'").strip()
    if not text:
        return _unknown("", "no endpoint given")
    if len(text) > _MAX_INPUT:
        return _unknown(_echo(text), "setting too long to be a host or URL")
    # gRPC writes sockets as unix:path as well as unix:///path.
    if text.partition(":")[0].lower() in _LOCAL_SCHEMES and ":" in text:
        return _unknown(_echo(text), f"local socket: {PRIVATE_NOTE}")
    host = _host_of(text)
    if host is None:
        return _unknown(_echo(text), f"{_echo(text)!r} cannot be read as a host or URL; {MAP_HINT}")
    return _place_host(host, extra)


def place_datadog_site(site: str) -> Endpoint:
    """Place a Datadog site: a site domain (``datadoghq.eu``), a site code (``US3``) or any host of a site."""
    return _place_site("datadog", site)


def place_splunk_realm(realm: str) -> Endpoint:
    """Place a Splunk Observability realm (``eu2``), or a host of one."""
    return _place_site("splunk", realm)


def place_newrelic_region(region: str) -> Endpoint:
    """Place a New Relic region: ``US``, ``EU`` or ``JP`` in any case."""
    return _place_site("newrelic", region)


def place_sumo_deployment(name: str) -> Endpoint:
    """Place a Sumo Logic deployment (``us1``, ``us2``, ``eu``, ``de`` ...)."""
    return _place_site("sumologic", name)


def decode_elastic_cloud_id(cloud_id: str) -> Endpoint:
    """Place an Elastic Cloud ID, ``label:base64(host$es-id$kibana-id)``, by the Elasticsearch host it encodes."""
    if not isinstance(cloud_id, str) or not cloud_id.strip():
        return _unknown(_echo(cloud_id if isinstance(cloud_id, str) else repr(cloud_id)), "no Elastic Cloud ID given")
    text = cloud_id.strip().strip("\"'").strip()
    # base64 has no ':', so the encoded part is whatever follows the last one, whatever the label holds.
    label, _, encoded = text.rpartition(":")
    decoded = _b64decode(encoded.strip())
    parts = decoded.split("$") if decoded else []
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return _unknown(
            _echo(text), f"not a valid Elastic Cloud ID (expected label:base64(host$es$kibana)); {MAP_HINT}"
        )
    domain = parts[0].partition(":")[0].strip().lower().rstrip(".")
    es_id = parts[1].partition(":")[0].strip().lower()
    es_host = f"{es_id}.{domain}"
    if not (_is_hostname(domain) and _is_hostname(es_host)):
        return _unknown(_echo(text), f"Elastic Cloud ID does not decode to a host; {MAP_HINT}")
    placed = place_endpoint(es_host)
    prefix = f"Elastic Cloud ID {label!r} decodes to {es_host}" if label else f"Elastic Cloud ID decodes to {es_host}"
    return replace(placed, note=f"{prefix}: {placed.note}" if placed.note else prefix)


def place_app_insights_connection_string(text: str) -> Endpoint:
    """Place an Application Insights connection string (or bare instrumentation key) by its IngestionEndpoint."""
    if not isinstance(text, str) or not text.strip():
        return _unknown("", "no Application Insights connection string given")
    fields: dict[str, str] = {}
    for part in text.strip().strip("\"'").split(";"):
        key, sep, field_value = part.partition("=")
        if sep:
            fields[key.strip().lower()] = field_value.strip()
    if not fields and not _GUID.fullmatch(text.strip().strip("\"'").strip()):
        return _unknown(_echo(text.strip()), f"not an Application Insights connection string; {MAP_HINT}")
    ingestion = fields.get("ingestionendpoint")
    if ingestion:
        placed = place_endpoint(ingestion)
        return replace(placed, note=f"Application Insights IngestionEndpoint: {placed.note}")
    suffix, location = fields.get("endpointsuffix"), fields.get("location")
    if suffix and location:
        rule = _region_rule("Azure Monitor", "azure", place_region("azure", location))
        return _endpoint(f"{location.lower()}.dc.{suffix.lower()}", rule)
    if suffix:
        return _unknown(
            f"dc.{suffix.lower()}",
            f"Application Insights connection string names EndpointSuffix={suffix} but no IngestionEndpoint"
            f" or Location, so its region is not known; {MAP_HINT}",
            vendor="Azure Monitor",
        )
    return _unknown(
        _APP_INSIGHTS_GLOBAL,
        "Application Insights connection string has no IngestionEndpoint (or is a bare instrumentation key):"
        " it sends to the global endpoint, which stores data in the resource's region; give the connection"
        f" string with IngestionEndpoint or {MAP_HINT}",
        vendor="Azure Monitor",
    )


# --- host placement ---------------------------------------------------------------------------


def _place_host(host: str, extra: Mapping[str, str] | None) -> Endpoint:
    catalogue = _catalogue()
    if extra:
        mapped = _place_by_extra(host, extra, catalogue)
        if mapped is not None:
            return mapped
    # A wildcard as written in a policy (CiliumNetworkPolicy matchPattern) places like its domain.
    lookup = host[2:] if host.startswith("*.") else host
    private = _private_note(lookup, catalogue)
    if private is not None:
        return _unknown(host, private)
    rule = _catalogue_rule(lookup, catalogue)
    if rule is None:
        return _unknown(host, f"{host}: host not in the endpoint catalogue: {MAP_HINT}")
    return _endpoint(host, rule)


def _catalogue_rule(host: str, catalogue: _Catalogue) -> _Rule | None:
    rule = catalogue.exact.get(host)
    if rule is not None:
        return rule
    for pattern in catalogue.patterns:
        match = pattern.regex.fullmatch(host)
        if match is not None:
            return _apply_pattern(pattern, match)
    labels = host.split(".")
    for index in range(len(labels)):
        suffix = ".".join(labels[index:])
        rule = catalogue.domains.get(suffix)
        if rule is not None:
            guard = catalogue.guards.get(suffix)
            if guard is not None and index > 0 and guard.label.fullmatch(labels[index - 1]):
                site = labels[index - 1]
                return _Rule(
                    vendor=guard.vendor,
                    site=site,
                    country=None,
                    uk=None,
                    where=None,
                    remark="looks like a site that is not in the endpoint catalogue",
                )
            return rule
        if index > 0:
            rule = catalogue.wildcards.get(suffix)
            if rule is not None:
                return rule
    return None


def _apply_pattern(pattern: _Pattern, match: re.Match[str]) -> _Rule:
    if pattern.fixed is not None:
        return pattern.fixed
    groups = match.groupdict()
    if pattern.areas:
        site = groups.get("site") or None
        known = pattern.areas.get(groups.get("area") or "")
        if known is None:
            return _Rule(pattern.vendor, site, None, None, None, "region slug not in the endpoint catalogue")
        return replace(known, site=site)
    cloud = groups.get("cloud") or pattern.cloud or ""
    region_name = groups.get("region") or ""
    return _region_rule(pattern.vendor, cloud, place_region(cloud, region_name))


def _region_rule(vendor: str, cloud: str, place: Place) -> _Rule:
    label = _CLOUD_LABEL.get(place.cloud, cloud)
    if not place.known or place.country is None:
        remark = place.note or f"{label} region {place.region!r} is not in the region catalogue"
        return _Rule(vendor, place.region or None, None, None, None, remark)
    # A multi-country location (GCP "EU") is no single country, but it is certainly not the UK.
    country = place.country if place.country != "EU" else None
    return _Rule(vendor, place.region, country, place.uk, f"{label} region in {place.country}", place.note)


def _place_by_extra(host: str, extra: Mapping[str, str], catalogue: _Catalogue) -> Endpoint | None:
    try:
        items = [(key.strip().lower().rstrip("."), key, value) for key, value in extra.items() if isinstance(key, str)]
    except (AttributeError, TypeError):
        return None
    best: tuple[str, Any] | None = None
    best_length = -1
    for pattern, raw_pattern, raw_country in items:
        if pattern == host:
            best = (raw_pattern, raw_country)
            break
        # The longest wildcard is the most specific mapping.
        if pattern.startswith("*.") and host.endswith(pattern[1:]) and len(pattern) > best_length:
            best, best_length = (raw_pattern, raw_country), len(pattern)
    if best is None:
        return None
    pattern, raw_country = best
    country = raw_country.strip().upper() if isinstance(raw_country, str) else ""
    # ISO reserves UK for the United Kingdom, and a config that says UK means GB.
    country = UK if country == "UK" else country
    lookup = host[2:] if host.startswith("*.") else host
    rule = _catalogue_rule(lookup, catalogue) if _is_hostname(lookup) else None
    if not _COUNTRY.fullmatch(country):
        return _unknown(
            host,
            f"offshore-scan.yaml endpoints maps {pattern} to {raw_country!r}, which is not a two-letter country code",
            vendor=rule.vendor if rule else None,
        )
    note = f"placed by offshore-scan.yaml endpoints: {pattern} -> {country}"
    if rule is not None and rule.country is not None and rule.country != country:
        note += f" (the endpoint catalogue says {rule.note()})"
    return Endpoint(
        host=host,
        vendor=rule.vendor if rule else None,
        site=rule.site if rule else None,
        country=country,
        uk=country == UK,
        note=note,
    )


def _private_note(host: str, catalogue: _Catalogue) -> str | None:
    address = _ip(host)
    if address is not None:
        if address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified:
            return f"{host}: {PRIVATE_NOTE}"
        return f"{host}: an IP address cannot be placed from the address alone; {MAP_HINT}"
    # A single label is a Kubernetes service short name or an /etc/hosts alias.
    if "." not in host or any(host == s or host.endswith("." + s) for s in catalogue.private_suffixes):
        return f"{host}: {PRIVATE_NOTE}"
    return None


def _place_site(family_key: str, name: str) -> Endpoint:
    family = _catalogue().families[family_key]
    if not isinstance(name, str) or not name.strip():
        given = name if isinstance(name, str) else repr(name)
        return _unknown(_echo(given), f"no {family.vendor} site given", vendor=family.vendor)
    text = name.strip().strip("\"'").strip()
    rule = family.names.get(text.lower().rstrip("."))
    if rule is not None:
        return _endpoint(rule.host or text.lower(), rule)
    # Settings that hold a URL or an intake host rather than the site name.
    if "." in text or "/" in text:
        placed = place_endpoint(text)
        if placed.vendor == family.vendor:
            return placed
    return _unknown(
        _echo(text),
        f"{_echo(text)!r} is not a {family.vendor} site in the endpoint catalogue"
        f" (known: {', '.join(family.codes)}); {MAP_HINT}",
        vendor=family.vendor,
    )


def _endpoint(host: str, rule: _Rule) -> Endpoint:
    note = rule.note()
    if rule.uk is None:
        note = f"{host}: {note}; {MAP_HINT}"
    return Endpoint(host=host, vendor=rule.vendor, site=rule.site, country=rule.country, uk=rule.uk, note=note)


def _unknown(host: str, note: str, vendor: str | None = None) -> Endpoint:
    return Endpoint(host=host, vendor=vendor, site=None, country=None, uk=None, note=note)


# --- parsing ----------------------------------------------------------------------------------


def _host_of(text: str) -> str | None:
    """The lower-case host in a URL, DSN, ``host:port`` or bare host; None when there is none."""
    if "://" in text:
        try:
            parts = urlsplit(text)
            host = parts.hostname
        except ValueError:
            return None
        if not host:
            # gRPC targets write dns:///host:port, with the host in the path.
            path = parts.path.lstrip("/")
            return _host_of(path) if path and "://" not in path else None
    else:
        head = re.split(r"[/?#]", text, maxsplit=1)[0]
        head = head.rpartition("@")[2]
        if head.startswith("["):
            host = head[1:].partition("]")[0]
        elif head.count(":") == 1:
            host = head.partition(":")[0]
        else:
            host = head
    host = host.strip().lower().rstrip(".")
    if not host or not host.isascii() or len(host) > 253:
        return None
    if _ip(host) is not None or _is_hostname(host[2:] if host.startswith("*.") else host):
        return host
    return None


def _is_hostname(host: str) -> bool:
    return len(host) <= 253 and _HOSTNAME.fullmatch(host) is not None


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None


def _b64decode(encoded: str) -> str | None:
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _echo(text: str) -> str:
    """A setting as it may appear in a report: credentials in a URL removed, length capped."""
    cleaned = _USERINFO.sub("", text)
    return cleaned if len(cleaned) <= _MAX_ECHO else cleaned[:_MAX_ECHO] + "…"


# --- the data file ----------------------------------------------------------------------------


@cache
def _catalogue() -> _Catalogue:
    raw = load_yaml(data_text("endpoints.yaml"))
    if not isinstance(raw, dict):
        raise TypeError("endpoints.yaml: expected a mapping at the top level")

    exact: dict[str, _Rule] = {}
    domains: dict[str, _Rule] = {}
    wildcards: dict[str, _Rule] = {}
    guards: dict[str, _Guard] = {}
    families: dict[str, _Family] = {}

    for key, body in _mapping(raw, "sites", "endpoints.yaml").items():
        where = f"endpoints.yaml sites.{key}"
        if not isinstance(body, dict):
            raise ValueError(f"{where}: expected a mapping")
        vendor = _text(body, "vendor", where)
        names: dict[str, _Rule] = {}
        for code, site_body in _mapping(body, "sites", where).items():
            site_where = f"{where}.{code}"
            if not isinstance(site_body, dict):
                raise ValueError(f"{site_where}: expected a mapping")
            site_domains = _strings(site_body, "domains", site_where)
            if not site_domains:
                raise ValueError(f"{site_where}: a site needs at least one domain")
            rule = replace(_rule(vendor, str(code), site_body, site_where), host=site_domains[0])
            for domain in site_domains:
                _add(domains, domain, rule, site_where)
            for spelling in (str(code), *_strings(site_body, "names", site_where), *site_domains):
                _add(names, spelling.lower(), rule, site_where)
        unlisted = body.get("unlisted_site")
        if unlisted is not None:
            if not isinstance(unlisted, dict):
                raise ValueError(f"{where}.unlisted_site: expected a mapping")
            guard = _Guard(vendor=vendor, label=re.compile(_text(unlisted, "label", f"{where}.unlisted_site")))
            for base in _strings(unlisted, "under", f"{where}.unlisted_site"):
                if base not in domains:
                    raise ValueError(f"{where}.unlisted_site: {base} is not a domain of this vendor")
                guards[base] = guard
        families[str(key)] = _Family(vendor=vendor, names=MappingProxyType(names), codes=tuple(map(str, body["sites"])))

    for index, body in enumerate(_list(raw, "hosts")):
        where = f"endpoints.yaml hosts[{index}]"
        if not isinstance(body, dict):
            raise ValueError(f"{where}: expected a mapping")
        rule = _rule(_text(body, "vendor", where), body.get("site"), body, where)
        for pattern in _strings(body, "match", where):
            if pattern.startswith("*."):
                _add(wildcards, pattern[2:], rule, where)
            else:
                _add(exact, pattern, rule, where)

    for domain in domains:
        if domain in exact or domain in wildcards:
            raise ValueError(f"endpoints.yaml: {domain} is both a site domain and a hosts entry")

    patterns = tuple(_pattern(body, index) for index, body in enumerate(_list(raw, "patterns")))

    return _Catalogue(
        exact=MappingProxyType(exact),
        patterns=patterns,
        domains=MappingProxyType(domains),
        wildcards=MappingProxyType(wildcards),
        guards=MappingProxyType(guards),
        families=MappingProxyType(families),
        private_suffixes=_strings(raw, "private_suffixes", "endpoints.yaml"),
    )


def _pattern(body: Any, index: int) -> _Pattern:
    where = f"endpoints.yaml patterns[{index}]"
    if not isinstance(body, dict):
        raise ValueError(f"{where}: expected a mapping")
    vendor = _text(body, "vendor", where)
    regex = re.compile(_text(body, "regex", where))
    groups = set(regex.groupindex)
    cloud = body.get("cloud")
    if cloud is not None and cloud not in _CLOUDS:
        raise ValueError(f"{where}: cloud {cloud!r} is not one of {sorted(_CLOUDS)}")
    areas: dict[str, _Rule] = {}
    fixed = None
    if "areas" in body:
        if not {"area", "site"} <= groups:
            raise ValueError(f"{where}: areas need 'area' and 'site' groups in the regex")
        for area, area_body in _mapping(body, "areas", where).items():
            if not isinstance(area_body, dict):
                raise ValueError(f"{where}.areas.{area}: expected a mapping")
            areas[str(area)] = _rule(vendor, None, area_body, f"{where}.areas.{area}")
    elif "country" in body:
        fixed = _rule(vendor, body.get("site"), body, where)
    elif "region" not in groups or (cloud is None and "cloud" not in groups):
        raise ValueError(f"{where}: needs areas, a country, or a 'region' group with a cloud")
    return _Pattern(vendor=vendor, regex=regex, cloud=cloud, areas=MappingProxyType(areas), fixed=fixed)


def _rule(vendor: str, site: Any, body: Mapping[str, Any], where: str) -> _Rule:
    if "country" not in body:
        raise ValueError(f"{where}: needs a 'country' key (null when it cannot be said, with a note)")
    country, note, description = body["country"], body.get("note"), body.get("where")
    # YAML 1.1 reads a bare NO (Norway) as False, so a non-string here is a quoting mistake.
    if country is not None and not (isinstance(country, str) and _COUNTRY.fullmatch(country)):
        raise ValueError(f"{where}: country {country!r} is not a quoted two-letter code")
    if country in ("EU", "UK"):
        raise ValueError(f"{where}: {country} is not allowed; give the ISO code of the real country")
    if country is None and not note:
        raise ValueError(f"{where}: a null country needs a note saying why")
    uk: bool | None = None if country is None else country == UK
    if "uk" in body:
        if body["uk"] is not False or country is not None:
            raise ValueError(f"{where}: 'uk' may only be false, and only on an entry with a null country")
        uk = False
    return _Rule(
        vendor=vendor,
        site=str(site) if site is not None else None,
        country=country,
        uk=uk,
        where=str(description) if description else None,
        remark=str(note) if note else None,
    )


def _add(index: dict[str, _Rule], key: str, rule: _Rule, where: str) -> None:
    key = key.lower()
    if key in index and index[key] != rule:
        raise ValueError(f"{where}: {key} is already listed for {index[key].vendor} {index[key].site or ''}")
    index[key] = rule


def _mapping(raw: Mapping[str, Any], section: str, where: str) -> Mapping[str, Any]:
    value = raw.get(section)
    if not isinstance(value, dict):
        raise TypeError(f"{where}: {section!r} must be a mapping")
    return value


def _list(raw: Mapping[str, Any], section: str) -> list[Any]:
    value = raw.get(section)
    if not isinstance(value, list):
        raise TypeError(f"endpoints.yaml: section {section!r} must be a list")
    return value


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: {key!r} must be a non-empty string")
    return value
