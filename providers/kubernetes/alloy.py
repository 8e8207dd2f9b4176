"""Grafana Alloy: destinations in its configuration language, and the Alloy Operator's ``Alloy`` resource.

Alloy's configuration is not YAML: its components write where they send as ``url = "..."`` (``loki.write``,
``prometheus.remote_write``, ``pyroscope.write`` endpoints) or ``endpoint = "..."`` (``otelcol.exporter.*``
clients). Those strings are read as written; one built from an expression (a Secret's value, ``sys.env``) is not
a string and is said to be unreadable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from providers.kubernetes.manifests import Manifest
from providers.kubernetes.workloads import as_dict, namespace
from providers.semantics.endpoints import Endpoint, place_endpoint

KIND = "Alloy"
_DESTINATION = re.compile(r"\b(url|endpoint)\s*=\s*(?:\"([^\"]*)\"|([^\n}]*[^\s}]))")
_SENDING_BLOCK = re.compile(
    r"\b(loki\.write|prometheus\.remote_write|otelcol\.exporter\.[a-z_]+|pyroscope\.write)\s+\"")


def is_alloy(key: str, text: str) -> bool:
    """Whether a ConfigMap value is an Alloy configuration."""
    return key.endswith(".alloy") or _SENDING_BLOCK.search(text) is not None


def destinations(key: str, text: str, extra: Mapping[str, str] | None = None) -> list[tuple[str, Endpoint]]:
    """(setting, endpoint) of each ``url``/``endpoint`` attribute in the components that send data on."""
    found = []
    for match in _DESTINATION.finditer(text):
        block = _enclosing_sender(text, match.start())
        if block is None:
            continue  # a receiver's listen address, an auth server's URL: not a destination of data
        label = f"{key} {block} {match.group(1)}"
        if match.group(2) is not None:
            found.append((label, place_endpoint(match.group(2), extra)))
        else:
            found.append((label, Endpoint(label, None, None, None, None,
                                          f"{label} is the expression {match.group(3).strip()[:80]}, which the scan "
                                          "does not evaluate: where it sends cannot be read")))
    return found


_SIGNALS = {"loki.write": frozenset({"logs"}), "prometheus.remote_write": frozenset({"metrics"})}
"""What each sending component is sent; an ``otelcol.exporter`` (and ``pyroscope.write``, whose profiles are
carried as the collector's data) may be sent any signal."""


def signals(label: str) -> frozenset[str] | None:
    """The signals the component a destination label names sends (``... prometheus.remote_write url``: metrics)."""
    return next((found for block, found in _SIGNALS.items() if f" {block} " in f" {label} "), None)


def _enclosing_sender(text: str, position: int) -> str | None:
    """The sending component a position is inside, by the last one opened before it that is not yet closed."""
    best = None
    for match in _SENDING_BLOCK.finditer(text, 0, position):
        depth = text.count("{", match.end(), position) - text.count("}", match.end(), position)
        if depth > 0:
            best = match.group(1)
    return best


def resource_config(resource: Manifest, config_maps: Mapping[tuple[str, str], Manifest]) -> Manifest | None:
    """The ConfigMap an ``Alloy`` resource runs: ``spec.alloy.configMap.name``, else the resource's own name."""
    spec = as_dict(as_dict(resource.data.get("spec")).get("alloy"))
    name = str(as_dict(spec.get("configMap")).get("name") or resource.name)
    return config_maps.get((namespace(resource), name))


def resource_mounts_logs(resource: Manifest) -> list[str]:
    """The node log directories an ``Alloy`` resource mounts (``spec.alloy.mounts``)."""
    mounts = as_dict(as_dict(as_dict(resource.data.get("spec")).get("alloy")).get("mounts"))
    return [f"/{'var/log' if k == 'varlog' else 'var/lib/docker/containers'}" for k in ("varlog", "dockercontainers")
            if mounts.get(k) is True]
