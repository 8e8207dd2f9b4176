"""The generic reader (Cloud Control API) under the collectors, judged by the net, and coverage that names every
DWP resource read only by location.

moto 5.2.6 does not implement Cloud Control API: its answers are recorded from the API reference and run through
botocore's Stubber, so the real client parses them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from providers.aws import located
from providers.aws.arns import kinds, parse_arn
from providers.aws.calls import Clients
from providers.aws.collectors import Work, cloudcontrol
from providers.aws.coverage import Recorder
from providers.aws.records import Scope, located_only
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from scanner.engine import evaluate
from scanner.model import ScopeStatus

ACCOUNT = "111122223333"
HERE = Scope(ACCOUNT, "eu-west-2")
DWP = {"Classification": "OFFICIAL-SENSITIVE"}
QUEUE = f"arn:aws:sqs:eu-west-2:{ACCOUNT}:claims"
STREAM = f"arn:aws:kinesis:eu-west-2:{ACCOUNT}:stream/claims"


@pytest.fixture
def clients() -> Iterator[Clients]:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    yield Clients({ACCOUNT: session}, Recorder())


def _stub(clients: Clients) -> Stubber:
    stubber = Stubber(clients.get(ACCOUNT, "eu-west-2", "cloudcontrol").client)
    stubber.activate()
    return stubber


def _answer(type_name: str, properties: dict[str, object]) -> dict[str, object]:
    return {"TypeName": type_name, "ResourceDescription": {"Identifier": "x", "Properties": json.dumps(properties)}}


def test_a_queue_read_by_cloud_control_is_judged_by_the_net(clients: Clients) -> None:
    stubber = _stub(clients)
    dead_letters = f"arn:aws:sqs:us-east-1:{ACCOUNT}:claims-dlq"
    stubber.add_response("get_resource", _answer("AWS::SQS::Queue", {
        "QueueName": "claims", "RedrivePolicy": {"deadLetterTargetArn": dead_letters, "maxReceiveCount": 3}}),
        {"TypeName": "AWS::SQS::Queue", "Identifier": f"https://sqs.eu-west-2.amazonaws.com/{ACCOUNT}/claims"})
    [record] = cloudcontrol.collect(Work(HERE, clients, (QUEUE,), {QUEUE: DWP}))
    stubber.assert_no_pending_responses()
    assert record.type == "aws_sqs_queue"
    assert record.values["redrive_policy"] == [{"dead_letter_target_arn": dead_letters, "max_receive_count": 3}]
    assert located_only(record) is None
    findings = evaluate(to_inventory([record], ScanOptions()))
    [net] = [f for f in findings if f.rule_id == "OFS-CONN-001"]
    assert net.outcome.value == "unknown" and "redrive_policy.dead_letter_target_arn" in net.message
    assert (net.target or net.location).region == "us-east-1"


def test_an_unsupported_or_denied_read_is_a_gap_naming_the_call_and_the_resource_is_placed(clients: Clients) -> None:
    stubber = _stub(clients)
    stubber.add_client_error("get_resource", "UnsupportedActionException", "Resource type not supported", 400)
    stubber.add_client_error("get_resource", "AccessDeniedException", "not authorised", 400)
    volume = f"arn:aws:ec2:eu-west-2:{ACCOUNT}:volume/vol-1"
    records = cloudcontrol.collect(Work(HERE, clients, (STREAM, volume), {STREAM: DWP, volume: DWP}))
    assert [r.type for r in records] == ["aws_kinesis_stream", "aws_ebs_volume"]
    assert all(located_only(r) is not None and "cloudcontrol:GetResource" in located_only(r) for r in records)
    [scope] = clients.recorder.coverage()
    assert (scope.service, scope.status) == ("cloudcontrol", ScopeStatus.DENIED)
    assert scope.detail is not None and "GetResource: UnsupportedActionException" in scope.detail
    notes = located.coverage_notes(ACCOUNT, {STREAM, volume}, records)
    assert [n.kind for n in notes] == ["note", "note"]
    assert STREAM in notes[1].reason and volume in notes[0].reason


def test_a_properties_body_that_is_no_json_object_is_a_failed_read(clients: Clients) -> None:
    stubber = _stub(clients)
    stubber.add_response("get_resource", {"TypeName": "AWS::Kinesis::Stream",
                                          "ResourceDescription": {"Identifier": "claims", "Properties": "<html>"}})
    [record] = cloudcontrol.collect(Work(HERE, clients, (STREAM,), {STREAM: DWP}))
    assert located_only(record) is not None
    [scope] = clients.recorder.coverage()
    assert scope.status == ScopeStatus.FAILED and "not a JSON object" in (scope.detail or "")


def test_coverage_lists_every_arn_never_a_truncated_count() -> None:
    arns = [f"arn:aws:ssm:eu-west-2:{ACCOUNT}:parameter/claims-{i}" for i in range(12)]
    records = located.tagged_only(ACCOUNT, {a: DWP for a in arns}, [])
    unknown_kind = [f"arn:aws:appflow:eu-west-2:{ACCOUNT}:flow/f{i}" for i in range(5)]
    [note, gap] = located.coverage_notes(ACCOUNT, {*arns, *unknown_kind}, records)
    assert note.kind == "note" and all(a in note.reason for a in arns) and "aws_ssm_parameter" in note.reason
    assert gap.incomplete and all(a in gap.reason for a in unknown_kind) and "..." not in gap.reason


@pytest.mark.parametrize("key", sorted(f"{s}/{k}" for (s, k), kind in kinds().items() if kind.cloudformation))
def test_every_cloud_control_row_writes_an_identifier(key: str) -> None:
    service, kind = key.split("/", 1)
    separator = "/" if kind not in ("cluster", "replicationgroup", "stateMachine", "alarm", "backup-vault") or \
        service in ("ecs", "kafka", "memorydb") else ":"
    name = "c/s" if (service, kind) == ("ecs", "service") else "thing"
    arn = f"arn:aws:{service}:eu-west-2:{ACCOUNT}:" + (name if service == "sqs" else f"{kind}{separator}{name}")
    found = cloudcontrol.kind_of(arn)
    assert found is not None, arn
    written = cloudcontrol.identifier(arn, *found)
    assert written and "{" not in written
    assert parse_arn(arn) is not None


def test_a_failed_read_never_says_the_resource_was_read_and_the_note_says_why_for_each_arn(clients: Clients) -> None:
    stubber = _stub(clients)
    stubber.add_client_error("get_resource", "", "", 500)  # an HTTP 500 with no AWS error code
    queue = f"arn:aws:sqs:eu-west-2:{ACCOUNT}:claims"
    [failed] = cloudcontrol.collect(Work(HERE, clients, (queue,), {queue: DWP}))
    [listed] = located.tagged_only(ACCOUNT, {STREAM.replace("stream/claims", "stream/other"): DWP}, [failed])
    placed = failed.placement.region.provenance
    assert not any(step.startswith("read by") for step in placed)
    assert "cloudcontrol:GetResource failed" in placed[0] and "HTTP 500" in placed[0]
    inventory = to_inventory([failed, listed], ScanOptions())
    [resource] = [r for r in inventory.resources if r.id == queue]
    assert not any(step.startswith("read by") for step in resource.location.provenance)
    notes = located.coverage_notes(ACCOUNT, {queue, listed.address}, [failed, listed])
    # One note per reason, each under the region the resources are in (never "global").
    assert [n.path for n in notes] == [f"{ACCOUNT}/eu-west-2"] * 2
    [read_failed] = [n for n in notes if queue in n.reason]
    assert "their read failed: cloudcontrol:GetResource failed: the properties of each could not be read" \
        in read_failed.reason, read_failed.reason
    [unread] = [n for n in notes if listed.address in n.reason]
    assert "no collector reads the type" in unread.reason
