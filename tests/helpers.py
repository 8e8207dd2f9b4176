"""Helpers shared by the unit tests."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from providers.terraform.expressions import evaluate
from providers.terraform.hcl_syntax import parse_hcl
from scanner.model import CoverageGap, Finding, Flow, Inventory, Resource, ScopeCoverage


def normalised(records: Sequence[ResourceRecord], options: ScanOptions | None = None) -> Inventory:
    """The inventory of records, which must have been read whole.

    A concern that raises costs only its own record (a coverage gap), so a test that asserts "no flow"
    would still pass on a crash; every test that builds an inventory this way also asserts that nothing
    was skipped. A test that expects a gap calls ``to_inventory`` itself.
    """
    inventory = to_inventory(records, options or ScanOptions())
    assert inventory.coverage == (), f"records were not read whole: {inventory.coverage}"
    return inventory


class Vars:
    """A resolver answering ``var.*`` from keyword arguments, and nothing else (everything else is unknown)."""

    def __init__(self, **values: Any) -> None:
        self.values = values

    def reference(self, root: str, steps: list[Any], trace: list[str]) -> tuple[Any, int]:
        if root == "" and steps:
            return steps[0], 1
        if root == "var" and steps and steps[0] in self.values:
            trace.append(f"var.{steps[0]}")
            return self.values[steps[0]], 1
        return Unknown(f"{root} is not known here"), len(steps)


def evaluated(source: str, **variables: Any) -> Any:
    """The value of one HCL expression, ``var.*`` answered from ``variables``."""
    return evaluate(parse_hcl(f"x = {source}\n", "test.tf").attributes["x"].expr, Vars(**variables))


def scan_directory(path: Path) -> tuple[Inventory, tuple[Finding, ...]]:
    """A directory scanned and judged as the CLI would, with default options (the demo has its own config
    file, which the CLI would find; it is read here too)."""
    from scanner.config import find_config, load_config
    from scanner.engine import evaluate as judge
    from scanner.inputs import InputOptions, scan_input

    config = load_config(find_config(None, [path]))
    options = InputOptions(ScanOptions(rules=config.rules, estate=config.estate,
                                       endpoints=tuple(config.endpoints.items())))
    inventory = scan_input(str(path), options)
    return inventory, judge(inventory)


MOTO_METRIC_STREAMS = re.compile(
    r"arn:aws:cloudwatch:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):metric-stream\?streams")
"""The address of the placeholder ``aws_cloudwatch_metric_stream`` the CloudWatch collector records for a region
whose ``ListMetricStreams`` failed (``providers/aws/collectors/cloudwatch.py``): one stream sending the region's
metrics to an unknown place."""


def moto_metric_stream_gap(finding: Finding | Mapping[str, Any]) -> bool:
    """Whether ``finding`` (a ``Finding``, or one finding of the JSON report) is moto's known metric-stream gap.

    moto 5.2.6 does not implement CloudWatch metric streams: ``ListMetricStreams`` is an HTTP 500, and a failed
    answer is never an empty one, so every DWP resource of a region the live scan reads streams in has an
    ``OFS-UNK-001`` finding declared by that region's placeholder stream. It is recognised by its structure
    alone: an unknown OFS-UNK-001 whose declaring address is the placeholder's, about a resource of the
    placeholder's region (never by the message's text). Tests of moto estates leave these out and assert
    everything else they assert about the other findings; the placeholder itself is tested with recorded
    answers in ``test_aws_copies_and_destinations.py``.
    """
    if isinstance(finding, Finding):
        rule, outcome, declared = finding.rule_id, finding.outcome.value, finding.declared_by
        region, account = finding.resource.location.region, finding.resource.account
    else:
        rule, outcome, declared = finding["rule_id"], finding["outcome"], finding["declared_by"]
        region, account = finding["location"]["region"], None  # the report's finding names no account
    placeholder = MOTO_METRIC_STREAMS.fullmatch(declared or "")
    # A stream sends its own account's metrics: a placeholder of another account is not this gap.
    return (rule == "OFS-UNK-001" and outcome == "unknown" and placeholder is not None
            and placeholder["region"] == region and account in (None, placeholder["account"]))


def moto_metric_stream_flow(flow: Flow, resource: Resource) -> bool:
    """Whether ``flow`` of ``resource`` is the flow behind moto's metric-stream gap: a telemetry flow to an unknown
    place declared by the placeholder stream of the resource's own region and account."""
    placeholder = MOTO_METRIC_STREAMS.fullmatch(flow.source.address)
    return (placeholder is not None and flow.resource_id == resource.id and flow.target.region is None
            and flow.kind.value == "telemetry" and placeholder["region"] == resource.location.region
            and resource.account in (None, placeholder["account"])
            and flow.source.path == f"{placeholder['account']}/{placeholder['region']}")


MOTO_METRIC_STREAM_SCOPE = re.compile(r"(?P<account>\d{12})/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)")
"""The path of a live scope's coverage gap (``providers/live/coverage.gap_of``): ACCOUNT/REGION."""


def moto_metric_stream_coverage(gap: CoverageGap | Mapping[str, Any],
                                scopes: Sequence[ScopeCoverage] | None = None) -> bool:
    """Whether ``gap`` (a ``CoverageGap``, or one entry of the JSON report's coverage) is the coverage gap of moto's
    metric-stream scope: an error at ACCOUNT/REGION laid out as ``gap_of`` lays out the scope
    ``moto_metric_stream_scope(REGION)`` (service, status, then its detail naming the failed call first:
    ``cloudwatch failed (ListMetricStreams: ...``). A gap carries no scope fields, so given ``scopes`` (the
    inventory's) the failed CloudWatch scope of that account and region must be among them, its detail naming
    ListMetricStreams first.
    """
    if isinstance(gap, CoverageGap):
        path, reason, kind = gap.path, gap.reason, gap.kind
    else:
        path, reason, kind = gap["path"], gap["reason"], gap["kind"]
    where = MOTO_METRIC_STREAM_SCOPE.fullmatch(path)
    if where is None or kind != "error":
        return False
    region, service, status = moto_metric_stream_scope(where["region"])
    if not reason.startswith(f"{service} {status} (ListMetricStreams: "):
        return False
    return scopes is None or any(
        (s.account, s.region, s.service, s.status.value) == (where["account"], region, service, status)
        and (s.detail or "").startswith("ListMetricStreams: ") for s in scopes)


def moto_metric_stream_scope(region: str) -> tuple[str, str, str]:
    """The (region, service, status) of the JSON report's scope that moto's metric-stream gap leaves in each
    region where the live scan reads metric streams (a region holding DWP resources whose ARNs name it): the
    CloudWatch scope ``failed``."""
    return (region, "cloudwatch", "failed")


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (a free port) with an empty cloud, as its endpoint URL; stopped on exit.

    In-process servers share moto's backends, so each starts by resetting them, whatever ran before."""
    import requests
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    _warm_rest_routers(endpoint)
    try:
        yield endpoint
    finally:
        moto.stop()


_REST_CALLS = (("guardduty", "list_detectors", {}), ("lambda", "list_functions", {}),
               ("securityhub", "describe_hub", {}), ("ram", "get_resource_shares", {"resourceOwner": "SELF"}),
               ("backup", "list_backup_plans", {}), ("efs", "describe_file_systems", {}),
               ("opensearch", "list_domain_names", {}), ("apigateway", "get_rest_apis", {}),
               ("apigatewayv2", "get_apis", {}), ("athena", "list_work_groups", {}),
               ("s3control", "list_access_points", {"AccountId": "123456789012"}),
               ("cloudfront", "list_distributions", {}))
"""A call of each REST service the scans make (one is enough: what is warmed is the service's, not a region's)."""
_warmed: set[str] = set()


def _warm_rest_routers(endpoint: str) -> None:
    """moto builds a REST service's request router on its first request, without a lock: two first requests at once
    (a scan's workers asking GuardDuty in two regions) race, and one is answered HTTP 500. One request of each such
    service, made one after the other before any scan, builds them; once per process, as the routers are moto's
    module state whichever server answers."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from providers.aws.calls import own_endpoint_host

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
    for service, operation, arguments in _REST_CALLS:
        if service in _warmed:
            continue
        client = session.client(service, endpoint_url=endpoint)
        client.meta.events.register("before-sign", own_endpoint_host(endpoint))
        # An error answer (Security Hub not enabled, the 404 moto gives Athena) has built the router all the same.
        with contextlib.suppress(BotoCoreError, ClientError):
            getattr(client, operation)(**arguments)
        _warmed.add(service)
