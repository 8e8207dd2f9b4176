"""The generic rule: a URL or host outside the cluster in an environment is a destination, placed by the endpoint
catalogue or unknown, never ignored.

A value counts when it is a URL (``scheme://host...``), or a hostname when the variable's name says it holds one
(``..._HOST``, ``..._URL``, ``..._ENDPOINT``, ``..._SERVER``, ``..._ADDR``, ``..._DSN``, ``..._BROKERS``), so that
Java class names and file names (``com.example.Main``, ``app.yaml``) in other variables are not taken for hosts.
In-cluster names (a bare Service name, ``name.namespace`` of a namespace in the input, ``*.svc``,
``*.cluster.local``, localhost, private addresses) are followed elsewhere or stay in the cluster; a value taken
from a Secret or field the input does not show is not known to be a host, so it is not guessed at.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping

from providers.semantics.telemetry_settings import opaque_value

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/\s]*@)?(\[[0-9a-f:]+\]|[^/:?#\s]+)", re.IGNORECASE)
_HOST_NAMED = re.compile(r"(HOST|HOSTS|HOSTNAME|URL|URLS|URI|ENDPOINT|ENDPOINTS|SERVER|SERVERS|ADDR|ADDRESS|DSN|"
                         r"BROKERS?)$", re.IGNORECASE)
_HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?(?::\d{1,5})?$", re.IGNORECASE)
_TELEMETRY_NAMED = re.compile(r"OTEL|OTLP|LOG|METRIC|TRACE|TRACING|APM|SENTRY|MONITOR|STATSD|JAEGER|ZIPKIN|"
                              r"PROMETHEUS|GRAFANA|LOKI|TEMPO|ELASTIC|SPLUNK|DATADOG|NEWRELIC|NEW_RELIC|HONEYCOMB|"
                              r"INSTANA|APPDYNAMICS|DYNATRACE|SUMO|FLUENT|SYSLOG|TELEMETRY", re.IGNORECASE)
_IN_CLUSTER = (".svc", ".cluster.local", ".local", ".internal", "localhost")
_OPAQUE = opaque_value("")


def outside_hosts(env: Mapping[str, str], namespaces: frozenset[str],
                  skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """(variable, value) of each URL or host outside the cluster in ``env``, but for the variables in ``skip``
    (read as telemetry settings already). ``namespaces`` are those of the input, so that ``name.namespace``
    is known for an in-cluster name."""
    for name, value in env.items():
        if name in skip or not isinstance(value, str) or value.startswith(_OPAQUE) or "$(" in value:
            continue
        for candidate in re.split(r"[\s,;]+", value.strip()):
            host = _host(name, candidate)
            if host is not None and not _in_cluster(host, namespaces):
                yield name, candidate


def is_telemetry(name: str) -> bool:
    """Whether a variable's name says it is about diagnostics (else it is taken for a connection)."""
    return _TELEMETRY_NAMED.search(name) is not None


def _host(name: str, candidate: str) -> str | None:
    url = _URL.match(candidate)
    if url:
        return url.group(1).strip("[]").lower()
    if _HOST_NAMED.search(name) and _HOSTNAME.match(candidate):
        return candidate.split(":", 1)[0].rstrip(".").lower()
    return None


def _in_cluster(host: str, namespaces: frozenset[str]) -> bool:
    if "." not in host or host.endswith(_IN_CLUSTER) or host in ("localhost",):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        return len(labels) == 2 and labels[1] in namespaces
    return address.is_private or address.is_loopback or address.is_link_local
