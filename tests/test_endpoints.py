"""Telemetry destinations to countries: every vendor's UK option, the look-alikes that are not, and the data file."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from providers.semantics.endpoints import (
    MAP_HINT,
    Endpoint,
    decode_elastic_cloud_id,
    place_app_insights_connection_string,
    place_datadog_site,
    place_endpoint,
    place_newrelic_region,
    place_splunk_realm,
    place_sumo_deployment,
)

DATA = Path(__file__).resolve().parent.parent / "providers" / "semantics" / "data" / "endpoints.yaml"
SITE_FUNCTIONS = {
    "datadog": place_datadog_site,
    "splunk": place_splunk_realm,
    "newrelic": place_newrelic_region,
    "sumologic": place_sumo_deployment,
}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """The YAML read on its own, so the checks below do not trust the loader they test."""
    loaded = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _cloud_id(host: str, es_id: str = "abc123", kibana_id: str = "def456", label: str = "dwp-logs") -> str:
    encoded = base64.b64encode(f"{host}${es_id}${kibana_id}".encode()).decode()
    return f"{label}:{encoded}"


# --- the UK options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "vendor", "site"),
    [
        ("uk1.datadoghq.com", "Datadog", "UK1"),
        ("api.uk1.datadoghq.com", "Datadog", "UK1"),
        ("http-intake.logs.uk1.datadoghq.com", "Datadog", "UK1"),
        ("trace.agent.uk1.datadoghq.com", "Datadog", "UK1"),
        ("otlp.uk1.datadoghq.com", "Datadog", "UK1"),
        ("intake.profile.uk1.datadoghq.com", "Datadog", "UK1"),
        ("app.uk1.datadoghq.com", "Datadog", "UK1"),
        ("7-52-0-app.agent.uk1.datadoghq.com", "Datadog", "UK1"),
        ("browser-intake-uk1-datadoghq.com", "Datadog", "UK1"),
        ("https://http-intake.logs.uk1.datadoghq.com:443/api/v2/logs", "Datadog", "UK1"),
        ("ingest.eu2.signalfx.com", "Splunk Observability", "eu2"),
        ("api.eu2.signalfx.com", "Splunk Observability", "eu2"),
        ("https://ingest.eu2.observability.splunkcloud.com/v2/trace/otlp", "Splunk Observability", "eu2"),
        ("abc123.eu-west-2.aws.elastic-cloud.com", "Elastic Cloud", "eu-west-2"),
        ("abc123.uksouth.azure.elastic-cloud.com", "Elastic Cloud", "uksouth"),
        ("abc123.europe-west2.gcp.elastic-cloud.com", "Elastic Cloud", "europe-west2"),
        ("https://abc123.europe-west2.gcp.cloud.es.io:443", "Elastic Cloud", "europe-west2"),
        ("abc123.eu-west-2.aws.found.io:9243", "Elastic Cloud", "eu-west-2"),
        ("otlp-gateway-prod-gb-south-0.grafana.net", "Grafana Cloud", "prod-gb-south-0"),
        ("https://prometheus-prod-05-prod-gb-south-1.grafana.net/api/prom/push", "Grafana Cloud", "prod-gb-south-1"),
        ("otlp-gateway-prod-gb-south-2.aws-eu-west-2-0.grafana.net", "Grafana Cloud", "eu-west-2"),
        ("logs.eu-west-2.amazonaws.com", "AWS", "eu-west-2"),
        ("xray.eu-west-2.amazonaws.com", "AWS", "eu-west-2"),
        ("123456789012.dkr.ecr.eu-west-2.amazonaws.com", "AWS", "eu-west-2"),
        ("https://uksouth-1.in.applicationinsights.azure.com/", "Azure Monitor", "uksouth"),
        ("ukwest-0.in.applicationinsights.azure.com", "Azure Monitor", "ukwest"),
        ("https://uksouth.livediagnostics.monitor.azure.com/", "Azure Monitor", "uksouth"),
    ],
)
def test_uk_options_are_uk(value: str, vendor: str, site: str) -> None:
    endpoint = place_endpoint(value)
    assert (endpoint.vendor, endpoint.site, endpoint.country, endpoint.uk) == (vendor, site, "GB", True), endpoint
    assert endpoint.note


@pytest.mark.parametrize(
    ("placed", "site"),
    [
        (place_datadog_site("uk1.datadoghq.com"), "UK1"),
        (place_datadog_site("UK1"), "UK1"),
        (place_datadog_site("https://api.uk1.datadoghq.com"), "UK1"),
        (place_splunk_realm("eu2"), "eu2"),
        (place_splunk_realm("EU2"), "eu2"),
        (decode_elastic_cloud_id(_cloud_id("eu-west-2.aws.found.io")), "eu-west-2"),
        (decode_elastic_cloud_id(_cloud_id("uksouth.azure.elastic-cloud.com:443")), "uksouth"),
        (
            place_app_insights_connection_string(
                "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
                "IngestionEndpoint=https://uksouth-1.in.applicationinsights.azure.com/;"
                "LiveEndpoint=https://uksouth.livediagnostics.monitor.azure.com/;"
                "ApplicationId=11111111-1111-1111-1111-111111111111"
            ),
            "uksouth",
        ),
    ],
)
def test_uk_options_by_setting(placed: Endpoint, site: str) -> None:
    assert (placed.site, placed.country, placed.uk) == (site, "GB", True), placed


def test_cloud_id_reports_the_elasticsearch_host() -> None:
    placed = decode_elastic_cloud_id(_cloud_id("eu-west-2.aws.found.io", es_id="4fa8821e75634032bed1cf22110e2f97"))
    assert placed.host == "4fa8821e75634032bed1cf22110e2f97.eu-west-2.aws.found.io"
    assert placed.vendor == "Elastic Cloud"
    assert "dwp-logs" in (placed.note or "")


# --- not the UK -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "vendor", "site", "country"),
    [
        ("datadoghq.com", "Datadog", "US1", "US"),
        ("api.datadoghq.com", "Datadog", "US1", "US"),
        ("datadoghq.eu", "Datadog", "EU1", "DE"),
        ("http-intake.logs.datadoghq.eu", "Datadog", "EU1", "DE"),
        ("browser-intake-datadoghq.eu", "Datadog", "EU1", "DE"),
        ("rum.browser-intake-datadoghq.eu", "Datadog", "EU1", "DE"),
        ("us3.datadoghq.com", "Datadog", "US3", "US"),
        ("trace.agent.us5.datadoghq.com", "Datadog", "US5", "US"),
        ("ap1.datadoghq.com", "Datadog", "AP1", "JP"),
        ("otlp.ap2.datadoghq.com", "Datadog", "AP2", "AU"),
        ("api.ddog-gov.com", "Datadog", "US1-FED", "US"),
        ("api.us2.ddog-gov.com", "Datadog", "US2-FED", "US"),
        ("otlp.nr-data.net", "New Relic", "US", "US"),
        ("log-api.newrelic.com", "New Relic", "US", "US"),
        ("otlp.eu01.nr-data.net", "New Relic", "EU", "DE"),
        ("log-api.eu.newrelic.com", "New Relic", "EU", "DE"),
        ("gov-otlp.nr-data.net", "New Relic", "FedRAMP", "US"),
        ("ingest.us0.signalfx.com", "Splunk Observability", "us0", "US"),
        ("ingest.signalfx.com", "Splunk Observability", "us0", "US"),
        ("ingest.eu0.signalfx.com", "Splunk Observability", "eu0", "IE"),
        ("ingest.eu1.observability.splunkcloud.com", "Splunk Observability", "eu1", "DE"),
        ("https://key@o123.ingest.sentry.io/4567", "Sentry", "US", "US"),
        ("o123.ingest.us.sentry.io", "Sentry", "US", "US"),
        ("o123.ingest.de.sentry.io", "Sentry", "DE", "DE"),
        ("sentry.io", "Sentry", "US", "US"),
        ("api.honeycomb.io", "Honeycomb", "US", "US"),
        ("api.eu1.honeycomb.io:443", "Honeycomb", "EU1", "DE"),
        ("events.pagerduty.com", "PagerDuty", "US", "US"),
        ("https://events.eu.pagerduty.com/v2/enqueue", "PagerDuty", "EU", "DE"),
        ("api.sumologic.com", "Sumo Logic", "us1", "US"),
        ("api.us2.sumologic.com", "Sumo Logic", "us2", "US"),
        ("endpoint1.collection.eu.sumologic.com", "Sumo Logic", "eu", "IE"),
        ("xray.us-east-1.amazonaws.com", "AWS", "us-east-1", "US"),
        ("logs.eu-west-1.amazonaws.com", "AWS", "eu-west-1", "IE"),
        ("logs.cn-north-1.amazonaws.com.cn", "AWS", "cn-north-1", "CN"),
        ("abc123.us-east-1.aws.found.io", "Elastic Cloud", "us-east-1", "US"),
        ("westeurope-5.in.applicationinsights.azure.com", "Azure Monitor", "westeurope", "NL"),
    ],
)
def test_non_uk_places_are_not_uk(value: str, vendor: str, site: str, country: str) -> None:
    endpoint = place_endpoint(value)
    assert (endpoint.vendor, endpoint.site, endpoint.country, endpoint.uk) == (vendor, site, country, False), endpoint


@pytest.mark.parametrize(
    "host", ["prometheus-prod-24-prod-eu-west-2.grafana.net", "tempo-prod-04-prod-ap-south-0.grafana.net"]
)
def test_grafana_regions_known_only_to_be_outside_the_uk(host: str) -> None:
    endpoint = place_endpoint(host)
    assert (endpoint.vendor, endpoint.country, endpoint.uk) == ("Grafana Cloud", None, False)


@pytest.mark.parametrize(
    ("placed", "site", "country"),
    [
        (place_datadog_site("datadoghq.com"), "US1", "US"),
        (place_datadog_site("datadoghq.eu"), "EU1", "DE"),
        (place_datadog_site("US3"), "US3", "US"),
        (place_datadog_site("us5.datadoghq.com"), "US5", "US"),
        (place_datadog_site("ap1.datadoghq.com"), "AP1", "JP"),
        (place_splunk_realm("us0"), "us0", "US"),
        (place_splunk_realm("jp0"), "jp0", "JP"),
        (place_newrelic_region("US"), "US", "US"),
        (place_newrelic_region("eu"), "EU", "DE"),
        (place_sumo_deployment("us2"), "us2", "US"),
        (place_sumo_deployment("EU"), "eu", "IE"),
        (place_sumo_deployment("ch"), "ch", "CH"),
    ],
)
def test_sites_by_name(placed: Endpoint, site: str, country: str) -> None:
    assert (placed.site, placed.country, placed.uk) == (site, country, False), placed


# --- unknown ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "vendor"),
    [
        ("logs-prod-006.grafana.net", "Grafana Cloud"),
        ("abc12345.live.dynatrace.com", "Dynatrace"),
        ("abc12345.apps.dynatrace.com", "Dynatrace"),
        ("http-inputs-acme.splunkcloud.com", "Splunk Cloud Platform"),
        ("collector.example.com", None),
        ("dc.services.visualstudio.com", "Azure Monitor"),
        ("dc.applicationinsights.azure.com", "Azure Monitor"),
        ("0123abcd-0000-0000-0000-000000000000.ods.opinsights.azure.com", "Azure Monitor"),
        ("acme.sentry.io", "Sentry"),
        ("api.us9.datadoghq.com", "Datadog"),
        ("ingest.xx9.signalfx.com", "Splunk Observability"),
        ("api.zz.sumologic.com", "Sumo Logic"),
        ("s3.amazonaws.com", "AWS"),
    ],
)
def test_unplaceable_hosts_are_unknown_and_named(value: str, vendor: str | None) -> None:
    endpoint = place_endpoint(value)
    assert (endpoint.vendor, endpoint.country, endpoint.uk) == (vendor, None, None), endpoint
    assert endpoint.host == value
    assert value in (endpoint.note or "")
    assert MAP_HINT in (endpoint.note or "")


@pytest.mark.parametrize(
    "placed",
    [
        place_datadog_site("US9"),
        place_datadog_site("eu.example.com"),
        place_splunk_realm("xx0"),
        place_newrelic_region("APAC"),
        place_sumo_deployment("mars"),
        place_datadog_site(""),
        decode_elastic_cloud_id("dwp:not-base64!!"),
        decode_elastic_cloud_id(_cloud_id("", es_id="")),
        decode_elastic_cloud_id("label:" + base64.b64encode(b"no dollar signs").decode()),
        decode_elastic_cloud_id(""),
        place_app_insights_connection_string("InstrumentationKey=00000000-0000-0000-0000-000000000000"),
        place_app_insights_connection_string("00000000-0000-0000-0000-000000000000"),
        place_app_insights_connection_string("hello"),
        place_app_insights_connection_string(""),
    ],
)
def test_bad_settings_are_unknown_with_a_note(placed: Endpoint) -> None:
    assert (placed.country, placed.uk) == (None, None), placed
    assert placed.note


def test_bare_instrumentation_key_names_the_global_endpoint() -> None:
    placed = place_app_insights_connection_string("InstrumentationKey=00000000-0000-0000-0000-000000000000")
    assert (placed.host, placed.vendor, placed.uk) == ("dc.services.visualstudio.com", "Azure Monitor", None)
    assert "global" in (placed.note or "")


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("otlp.nr-data.net", "otlp.nr-data.net"),
        ("OTLP.NR-DATA.NET.", "otlp.nr-data.net"),
        ("otlp.nr-data.net:4317", "otlp.nr-data.net"),
        ("https://otlp.nr-data.net:4318/v1/traces", "otlp.nr-data.net"),
        ("http://otlp.nr-data.net", "otlp.nr-data.net"),
        ("grpc://otlp.nr-data.net:4317", "otlp.nr-data.net"),
        ("dns:///otlp.nr-data.net:4317", "otlp.nr-data.net"),
        ("https://abcdef0123456789@o123.ingest.sentry.io/4567", "o123.ingest.sentry.io"),
        ("abcdef0123456789@o123.ingest.sentry.io/4567", "o123.ingest.sentry.io"),
        ("https://user:secret@otlp.nr-data.net/v1/logs?x=1#frag", "otlp.nr-data.net"),
        ('  "https://otlp.nr-data.net"  ', "otlp.nr-data.net"),
        ("otlp.nr-data.net/v1/traces", "otlp.nr-data.net"),
        ("*.datadoghq.eu", "*.datadoghq.eu"),
    ],
)
def test_urls_dsns_and_host_ports_parse(value: str, host: str) -> None:
    endpoint = place_endpoint(value)
    assert endpoint.host == host
    assert endpoint.vendor is not None, endpoint


def test_credentials_never_reach_the_report() -> None:
    endpoint = place_endpoint("https://user:s3cret@not a host/")
    assert "s3cret" not in endpoint.host
    assert "s3cret" not in (endpoint.note or "")


# --- the user's map ---------------------------------------------------------------------------


def test_extra_places_an_exact_host() -> None:
    endpoint = place_endpoint("https://otel.internal.example.gov.uk:4318", {"otel.internal.example.gov.uk": "GB"})
    assert (endpoint.host, endpoint.country, endpoint.uk) == ("otel.internal.example.gov.uk", "GB", True)
    assert "offshore-scan.yaml" in (endpoint.note or "")


def test_extra_places_by_wildcard_and_the_longest_wildcard_wins() -> None:
    extra = {"*.example.gov.uk": "GB", "*.eu.example.gov.uk": "ie"}
    assert place_endpoint("collector.example.gov.uk", extra).uk is True
    assert place_endpoint("a.b.example.gov.uk", extra).country == "GB"
    eu = place_endpoint("collector.eu.example.gov.uk", extra)
    assert (eu.country, eu.uk) == ("IE", False)
    # A wildcard covers hosts under the domain, not the domain itself.
    assert place_endpoint("example.gov.uk", extra).uk is None


def test_exact_beats_wildcard() -> None:
    extra = {"*.example.com": "US", "otel.example.com": "GB"}
    assert place_endpoint("otel.example.com", extra).country == "GB"


def test_extra_beats_the_catalogue_and_keeps_the_vendor() -> None:
    endpoint = place_endpoint("logs-prod-006.grafana.net", {"logs-prod-006.grafana.net": "GB"})
    assert (endpoint.vendor, endpoint.country, endpoint.uk) == ("Grafana Cloud", "GB", True)
    overridden = place_endpoint("api.datadoghq.com", {"*.datadoghq.com": "GB"})
    assert (overridden.vendor, overridden.country, overridden.uk) == ("Datadog", "GB", True)
    assert "US1" in (overridden.note or "")


def test_extra_beats_the_private_check() -> None:
    endpoint = place_endpoint("otel-gateway.observability.svc.cluster.local:4317", {"*.svc.cluster.local": "GB"})
    assert endpoint.uk is True


def test_extra_accepts_uk_as_gb_and_rejects_nonsense() -> None:
    assert place_endpoint("otel.example.com", {"otel.example.com": "uk"}).country == "GB"
    bad = place_endpoint("otel.example.com", {"otel.example.com": "United Kingdom"})
    assert (bad.country, bad.uk) == (None, None)
    assert "two-letter" in (bad.note or "")


@pytest.mark.parametrize("extra", [None, {}, {"other.example.com": "GB"}, {1: "GB"}, {"otel.example.com": None}])
def test_extra_that_does_not_apply_changes_nothing_or_stays_unknown(extra: Any) -> None:
    assert place_endpoint("otel.example.com", extra).uk is None


# --- private and in-cluster -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "localhost:4317",
        "http://127.0.0.1:4318",
        "10.1.2.3",
        "192.168.0.10:8126",
        "[::1]:4317",
        "http://[fd00::1]:4318",
        "otel-collector:4317",
        "datadog-agent.datadog.svc:8126",
        "otel-collector.monitoring.svc.cluster.local:4317",
        "ip-10-0-0-1.eu-west-2.compute.internal",
        "unix:///var/run/datadog/apm.socket",
        "unix:/var/run/otel.sock",
    ],
)
def test_private_and_in_cluster_hosts_are_unknown(value: str) -> None:
    endpoint = place_endpoint(value)
    assert (endpoint.vendor, endpoint.country, endpoint.uk) == (None, None, None), endpoint
    assert "private or in-cluster" in (endpoint.note or "")


def test_public_ip_is_unknown() -> None:
    endpoint = place_endpoint("8.8.8.8:4317")
    assert (endpoint.country, endpoint.uk) == (None, None)
    assert MAP_HINT in (endpoint.note or "")


# --- garbage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "http://",
        "https://[not-ipv6/",
        "${DD_SITE}",
        "{{ .Values.site }}",
        "a b c",
        "ünïcödé.example",
        "x" * 300,
        "a." * 3000,
        "-leading-dash.example.com",
        ":::::",
        "@@@",
        "https://host:notaport/",
        "\x00\x01",
        None,
        42,
        b"otlp.nr-data.net",
        ["otlp.nr-data.net"],
    ],
)
def test_garbage_never_raises(value: Any) -> None:
    for call in (
        place_endpoint,
        place_datadog_site,
        place_splunk_realm,
        place_newrelic_region,
        place_sumo_deployment,
        decode_elastic_cloud_id,
        place_app_insights_connection_string,
    ):
        result = call(value)
        assert isinstance(result, Endpoint)
        assert result.uk is not True
        assert len(result.host) <= 256


def test_garbage_extra_never_raises() -> None:
    for extra in ([("a", "GB")], "GB", 42, {"*.": "GB"}, {"*": "GB"}):
        assert isinstance(place_endpoint("otel.example.com", extra), Endpoint)  # type: ignore[arg-type]


# --- the data file ----------------------------------------------------------------------------


def _entries(data: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(where, vendor, entry) for every entry that carries a country."""
    found: list[tuple[str, str | None, dict[str, Any]]] = []
    for key, family in data["sites"].items():
        for code, site in family["sites"].items():
            found.append((f"sites.{key}.{code}", family.get("vendor"), site))
    for index, host in enumerate(data["hosts"]):
        found.append((f"hosts[{index}]", host.get("vendor"), host))
    for index, pattern in enumerate(data["patterns"]):
        if "country" in pattern:
            found.append((f"patterns[{index}]", pattern.get("vendor"), pattern))
        for area, body in (pattern.get("areas") or {}).items():
            found.append((f"patterns[{index}].areas.{area}", pattern.get("vendor"), body))
    return found


def test_every_entry_has_a_vendor_and_a_country_or_a_note(data: dict[str, Any]) -> None:
    entries = _entries(data)
    assert len(entries) > 50
    for where, vendor, entry in entries:
        assert isinstance(vendor, str) and vendor, where
        country = entry.get("country")
        assert country is not None or entry.get("note"), where
        if country is not None:
            assert isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country), where
            assert country not in ("EU", "UK"), where
        # An explicit uk flag may only say "not the UK" where the country is unknown.
        if "uk" in entry:
            assert entry["uk"] is False and country is None, where
    for index, pattern in enumerate(data["patterns"]):
        assert isinstance(pattern.get("vendor"), str), f"patterns[{index}]"
        assert pattern.get("examples"), f"patterns[{index}] needs examples"


def test_every_site_domain_places_to_its_site_and_uk_only_for_gb(data: dict[str, Any]) -> None:
    for key, family in data["sites"].items():
        for code, site in family["sites"].items():
            for domain in site["domains"]:
                for host in (domain, f"api.{domain}"):
                    endpoint = place_endpoint(host)
                    assert (endpoint.vendor, endpoint.site, endpoint.country) == (
                        family["vendor"],
                        str(code),
                        site["country"],
                    ), (key, host, endpoint)
                    assert endpoint.uk is (site["country"] == "GB"), host


def test_every_hosts_entry_places_as_written(data: dict[str, Any]) -> None:
    for entry in data["hosts"]:
        for pattern in entry["match"]:
            host = "x1y2z3." + pattern[2:] if pattern.startswith("*.") else pattern
            endpoint = place_endpoint(host)
            assert (endpoint.vendor, endpoint.country) == (entry["vendor"], entry["country"]), (host, endpoint)
            expected_uk = None if entry["country"] is None else entry["country"] == "GB"
            assert endpoint.uk is expected_uk, host


def test_every_pattern_example_matches_and_places(data: dict[str, Any]) -> None:
    for pattern in data["patterns"]:
        for example in pattern["examples"]:
            assert re.fullmatch(pattern["regex"], example), example
            endpoint = place_endpoint(example)
            assert endpoint.vendor == pattern["vendor"], (example, endpoint)
            if endpoint.country is None:
                assert endpoint.uk is not True, example
            else:
                assert endpoint.uk is (endpoint.country == "GB"), example


def test_site_functions_accept_every_site_code_and_name(data: dict[str, Any]) -> None:
    for key, function in SITE_FUNCTIONS.items():
        family = data["sites"][key]
        for code, site in family["sites"].items():
            for spelling in (str(code), str(code).lower(), str(code).upper(), *site.get("names", []), *site["domains"]):
                placed = function(spelling)
                assert (placed.vendor, placed.site, placed.country) == (family["vendor"], str(code), site["country"]), (
                    spelling,
                    placed,
                )


def test_uk_is_true_only_for_gb_across_the_catalogue(data: dict[str, Any]) -> None:
    uk_sites = {
        (family["vendor"], str(code))
        for family in data["sites"].values()
        for code, site in family["sites"].items()
        if site["country"] == "GB"
    }
    assert uk_sites == {("Datadog", "UK1"), ("Splunk Observability", "eu2")}
