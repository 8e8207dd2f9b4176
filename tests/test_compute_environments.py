"""The compute environments table (``resource_map/compute_environments.yaml``): every row read, and the shapes
that need more than a map (containers, JSON documents, secrets, sensitive values, option settings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import normalised

from providers.interface import ScanOptions
from providers.semantics.compute_environments import Read, compute_environments
from providers.semantics.records import Placement, Resolved, ResourceRecord, Unknown
from scanner.model import Flow, FlowKind, Inventory, SourceRef
from scanner.yaml_data import load_yaml

CATALOGUE = Path(__file__).resolve().parent.parent / "providers" / "semantics" / "resource_map" / "arguments.yaml"
NEW_RELIC_EU = "https://otlp.eu01.nr-data.net"
DWP = {"Classification": "OFFICIAL"}


def _record(resource_type: str, values: dict[str, Any], name: str = "this") -> ResourceRecord:
    key = resource_type.split("_", 1)[0]
    labels = "labels" if key == "google" else "tags"
    return ResourceRecord(
        address=f"{resource_type}.{name}",
        type=resource_type,
        values={labels: DWP, **values},
        placement=Placement(key=key, region=Resolved("eu-west-2", (f"provider {key} (main.tf:1)",))),
        source=SourceRef("main.tf", 10, f"{resource_type}.{name}"),
    )


def _scan(*records: ResourceRecord) -> Inventory:
    return normalised(records, ScanOptions())


def _telemetry(inventory: Inventory) -> list[Flow]:
    return [f for f in inventory.flows if f.kind == FlowKind.TELEMETRY]


def _nest(path: str, leaf: Any) -> Any:
    for part in reversed(path.split(".")):
        leaf = {part: leaf}
    return leaf


def _values_setting(read: Read, name: str, value: str) -> dict[str, Any]:
    """The least a resource needs for ``read`` to find ``name = value``, built from the row itself."""
    if read.kind == "map":
        at = _nest(read.path, {name: value})
    else:
        at = _nest(read.path, [{read.name_key: name, read.value_key: value, **read.where}])
    if read.containers is not None:
        container = {read.container_name: "app", **at}
        at = [container] if read.containers == "." else _nest(read.containers, [container])
    if read.document is not None:
        return {read.document: json.dumps(at)}
    return at


# --- the table -------------------------------------------------------------------------------------


def test_the_table_loads_and_every_row_reads_somewhere() -> None:
    table = compute_environments()
    assert "aws_lambda_function" in table and "google_cloud_run_v2_job" in table
    for resource_type, row in table.items():
        assert row.label and row.reads, resource_type
        assert row.reads[0].kind in ("map", "list"), f"{resource_type}: the first read is what the row test sets"


def test_every_type_is_in_the_generated_argument_catalogue() -> None:
    # The catalogue is committed (catalogue_generator.py makes it): a missing or empty one is a failure, not a skip.
    raw = load_yaml(CATALOGUE.read_text(encoding="utf-8")) or {}
    catalogued = set(raw["catalogue"])
    assert catalogued
    missing = [t for t, row in compute_environments().items() if row.removed_in is None and t not in catalogued]
    assert not missing, f"types the providers' documentation does not have (misspelt, or set removed_in): {missing}"
    # A type marked removed must really be gone, or the mark hides a misspelling.
    still_there = [t for t, row in compute_environments().items() if row.removed_in is not None and t in catalogued]
    assert not still_there, f"marked removed_in but still documented: {still_there}"


@pytest.mark.parametrize("resource_type", sorted(compute_environments()))
def test_every_row_reads_a_telemetry_setting(resource_type: str) -> None:
    read = compute_environments()[resource_type].reads[0]
    record = _record(resource_type, _values_setting(read, "OTEL_EXPORTER_OTLP_ENDPOINT", NEW_RELIC_EU))
    (flow,) = _telemetry(_scan(record))
    assert (flow.resource_id, flow.target.region, flow.target.uk) == (record.address, "otlp.eu01.nr-data.net", False)
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in flow.target.provenance[0]
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in flow.description


# --- shapes ----------------------------------------------------------------------------------------


def _ecs(containers: list[dict[str, Any]]) -> ResourceRecord:
    return _record("aws_ecs_task_definition", {"family": "t", "container_definitions": json.dumps(containers)})


def test_an_ecs_key_from_secrets_and_a_site_in_the_environment_are_one_container() -> None:
    secret = {"name": "DD_API_KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-2:1:secret:dd"}
    both = _ecs([{"name": "app", "environment": [{"name": "DD_SITE", "value": "uk1.datadoghq.com"}],
                  "secrets": [secret]}])
    assert [(f.target.region, f.target.uk) for f in _telemetry(_scan(both))] == [("uk1.datadoghq.com", True)]
    # The key alone means Datadog is in use, at its default site (US1).
    alone = _ecs([{"name": "app", "secrets": [secret]}])
    (flow,) = _telemetry(_scan(alone))
    assert (flow.target.region, flow.target.uk) == ("datadoghq.com", False)


def test_a_url_from_a_secret_is_an_unknown_destination_naming_the_secret() -> None:
    run = _record("google_cloud_run_v2_service", {"name": "api", "template": [{"containers": [{"name": "api", "env": [
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT",
         "value_source": [{"secret_key_ref": [{"secret": "otel-endpoint", "version": "3"}]}]}]}]}]})
    (flow,) = _telemetry(_scan(run))
    assert flow.target.uk is None
    assert "set from value_source otel-endpoint" in flow.target.provenance[0]
    assert "\x00" not in repr(flow)


def test_secure_environment_variables_are_placed_but_never_shown() -> None:
    group = _record("azurerm_container_group", {"name": "g", "location": "uksouth", "container": [{
        "name": "worker", "image": "dwp/worker:1",
        "secure_environment_variables": {"SENTRY_DSN": "https://s3cr3tk3y@o1.ingest.us.sentry.io/2"}}]})
    (flow,) = _telemetry(_scan(group))
    assert (flow.target.country, flow.target.uk) == ("US", False)
    assert "s3cr3tk3y" not in repr(flow)
    assert "a sensitive value, not shown" in flow.target.provenance[0]


def test_beanstalk_settings_in_other_namespaces_are_not_environment_properties() -> None:
    environment = _record("aws_elastic_beanstalk_environment", {"name": "e", "setting": [
        {"namespace": "aws:elasticbeanstalk:cloudwatch:logs", "name": "SENTRY_DSN", "value": "https://k@sentry.io/1"},
        {"namespace": "aws:elasticbeanstalk:application:environment", "name": "DD_SITE", "value": "datadoghq.eu"},
    ]})
    assert [f.target.region for f in _telemetry(_scan(environment))] == ["datadoghq.eu"]


def test_unreadable_settings_are_an_unknown_destination() -> None:
    service = _record("aws_apprunner_service", {"service_name": "s", "source_configuration": [{"image_repository": [{
        "image_configuration": [{"runtime_environment_variables": Unknown("var.env has no value")}]}]}]})
    (flow,) = _telemetry(_scan(service))
    assert flow.target.uk is None and "var.env has no value" in (flow.target.note or "")


def test_batch_container_properties_are_one_unnamed_container() -> None:
    job = _record("aws_batch_job_definition", {"name": "j", "type": "container", "container_properties": json.dumps(
        {"image": "dwp/job:1", "environment": [{"name": "NEW_RELIC_REGION", "value": "EU"}]})})
    (flow,) = _telemetry(_scan(job))
    assert flow.description.startswith("Batch job setting NEW_RELIC_REGION")
    assert flow.target.provenance[0].startswith(f"{job.address} container_properties.environment.NEW_RELIC_REGION")


def test_a_datadog_sidecar_image_means_datadog_is_in_use() -> None:
    run = _record("google_cloud_run_v2_service", {"name": "api", "template": [{"containers": [
        {"name": "api", "image": "europe-west2-docker.pkg.dev/dwp/api:1"},
        {"name": "datadog", "image": "gcr.io/datadoghq/serverless-init:1",
         "env": [{"name": "DD_SERVICE", "value": "api"}]}]}]})
    (flow,) = _telemetry(_scan(run))
    assert (flow.target.region, flow.target.uk) == ("datadoghq.com", False)
    assert "container datadog" in flow.description


def test_site_config_application_insights_yields_to_an_app_setting() -> None:
    app = _record("azurerm_linux_function_app", {"name": "f", "location": "uksouth", "app_settings": {
        "APPLICATIONINSIGHTS_CONNECTION_STRING":
            "InstrumentationKey=0;IngestionEndpoint=https://uksouth-1.in.applicationinsights.azure.com/"},
        "site_config": [{"application_insights_connection_string":
                         "InstrumentationKey=0;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"}]})
    (flow,) = _telemetry(_scan(app))
    assert flow.target.uk is True


def test_a_new_relic_licence_key_from_a_secret_is_not_assumed_to_be_us() -> None:
    # EU keys start with "eu01": a key the configuration does not show could be either.
    task = _ecs([{"name": "app", "secrets": [
        {"name": "NEW_RELIC_LICENSE_KEY", "valueFrom": "arn:aws:ssm:eu-west-2:1:parameter/nr-key"}]}])
    (flow,) = _telemetry(_scan(task))
    assert flow.target.uk is None
    assert "set from valueFrom arn:aws:ssm:eu-west-2:1:parameter/nr-key" in flow.target.provenance[0]


def test_a_container_list_that_cannot_be_read_is_an_unknown_destination() -> None:
    run = _record("google_cloud_run_v2_service", {"name": "api", "template": [
        {"containers": Unknown("var.containers has no value")}]})
    (flow,) = _telemetry(_scan(run))
    assert flow.target.uk is None and "template.containers cannot be read statically" in (flow.target.note or "")
