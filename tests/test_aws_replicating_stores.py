"""Data stores that replicate, read live: EFS replication, ElastiCache global datastores and OpenSearch
cross-cluster connections. On a moto server where moto implements the calls, and recorded answers through
botocore's Stubber where it does not.

moto 5.2.6 implements ``DescribeFileSystems``, ``DescribeFileSystemPolicy`` and ``DescribeReplicationGroups`` (its
``CreateReplicationGroup`` takes a ``GlobalReplicationGroupId``), but not ``DescribeReplicationConfigurations``,
``DescribeGlobalReplicationGroups`` or OpenSearch's connections, and its Tagging API lists no file system,
replication group or domain: on moto those reads are the failed calls, and replication itself is tested with
recorded answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from providers.aws.calls import Clients
from providers.aws.collectors import Work, efs, elasticache, opensearch, regional
from providers.aws.collectors.cloudcontrol import kind_of
from providers.aws.coverage import Recorder
from providers.aws.records import Scope, located_record
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from scanner.engine import evaluate
from scanner.model import CoverageGap, Inventory
from tests.helpers import moto_server

ACCOUNT = "123456789012"  # moto's default account
HERE = Scope(ACCOUNT, "eu-west-2")
DWP = {"Classification": "OFFICIAL-SENSITIVE"}
FS = "fs-0123456789abcdef0"
FS_ARN = f"arn:aws:elasticfilesystem:eu-west-2:{ACCOUNT}:file-system/{FS}"
GROUP_ARN = f"arn:aws:elasticache:eu-west-2:{ACCOUNT}:replicationgroup:claims-cache"
DOMAIN_ARN = f"arn:aws:es:eu-west-2:{ACCOUNT}:domain/claims-search"


def _judged(records: list[ResourceRecord],
            clients: Clients | None = None) -> tuple[Inventory, set[tuple[str, str, str]]]:
    inventory = to_inventory(records, ScanOptions(), gaps=clients.recorder.gaps() if clients else ())
    return inventory, {(f.rule_id, f.outcome.value, f.resource.id) for f in evaluate(inventory)
                       if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"}


def _skipped_or_incomplete(inventory: Inventory) -> list[Any]:
    return [g for g in inventory.coverage if g.incomplete or g.kind == "skipped"]


def _failed_calls(gaps: Iterable[CoverageGap]) -> set[str]:
    """The operations the incomplete gaps name (``efs denied (DescribeX: AccessDenied; ...)``)."""
    return {name for g in gaps if g.incomplete for name in re.findall(r"[(;] ?(\w+): ", g.reason)}


def _fresh() -> Clients:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    return Clients({ACCOUNT: session}, Recorder())


@pytest.fixture
def clients() -> Iterator[Clients]:
    yield _fresh()


def _stub(clients: Clients, service: str, region: str = "eu-west-2") -> Stubber:
    stubber = Stubber(clients.get(ACCOUNT, region, service).client)
    stubber.activate()
    return stubber


def test_the_collectors_are_registered_and_the_generic_reader_leaves_their_resources_to_them() -> None:
    assert {"elasticfilesystem", "elasticache", "es"} <= set(regional())
    # Read closely by the collectors, never a second time by Cloud Control; domains stay with Cloud Control.
    assert kind_of(FS_ARN) is None and kind_of(GROUP_ARN) is None
    assert kind_of(DOMAIN_ARN) is not None


# --- EFS ---------------------------------------------------------------------------------------------------


def _file_system(clients: Clients, region: str | None) -> list[ResourceRecord]:
    stubber = _stub(clients, "efs")
    stubber.add_response("describe_file_systems", {"FileSystems": [{
        "OwnerId": ACCOUNT, "CreationToken": "claims", "FileSystemId": FS, "FileSystemArn": FS_ARN,
        "CreationTime": 0, "LifeCycleState": "available", "NumberOfMountTargets": 1,
        "SizeInBytes": {"Value": 0}, "PerformanceMode": "generalPurpose", "Encrypted": True, "Tags": []}]},
        {"FileSystemId": FS})
    stubber.add_client_error("describe_file_system_policy", "PolicyNotFound", "none", 404)
    replications = [] if region is None else [{
        "SourceFileSystemId": FS, "SourceFileSystemRegion": "eu-west-2", "SourceFileSystemArn": FS_ARN,
        "OriginalSourceFileSystemArn": FS_ARN, "CreationTime": 0,
        "Destinations": [{"Status": "ENABLED", "FileSystemId": "fs-0fedcba9876543210", "Region": region}]}]
    stubber.add_response("describe_replication_configurations", {"Replications": replications}, {"FileSystemId": FS})
    records = efs.collect(Work(HERE, clients, (FS_ARN,), {FS_ARN: DWP}))
    stubber.assert_no_pending_responses()
    return records


def test_an_efs_replica_abroad_is_replication_of_the_file_system(clients: Clients) -> None:
    records = _file_system(clients, "us-east-1")
    assert [r.type for r in records] == ["aws_efs_file_system", "aws_efs_replication_configuration"]
    replication = records[1]
    assert replication.address == f"{FS_ARN}?replication"
    assert replication.values["source_file_system_id"] == FS
    assert replication.values["destination"] == [
        {"region": "us-east-1", "file_system_id": "fs-0fedcba9876543210", "status": "ENABLED"}]
    assert "Destinations[].Region" in " ".join(replication.provenance["destination.region"])
    _, found = _judged(records, clients)
    assert found == {("OFS-REPL-001", "fail", FS_ARN)}


def test_an_efs_replica_in_the_uk_or_none_is_no_finding_and_nothing_is_skipped() -> None:
    for region in ("eu-west-2", None):
        clients = _fresh()
        inventory, found = _judged(_file_system(clients, region), clients)
        assert found == set()
        assert _skipped_or_incomplete(inventory) == []


def test_an_unreadable_efs_replication_is_unknown_never_none(clients: Clients) -> None:
    stubber = _stub(clients, "efs")
    stubber.add_client_error("describe_file_systems", "AccessDenied", "denied", 403)
    stubber.add_client_error("describe_file_system_policy", "AccessDenied", "denied", 403)
    stubber.add_client_error("describe_replication_configurations", "AccessDenied", "denied", 403)
    records = efs.collect(Work(HERE, clients, (FS_ARN,), {FS_ARN: DWP}))
    system, policy, replication = records
    assert "DescribeFileSystems failed" in " ".join(system.provenance["arn"])
    assert isinstance(policy.values["policy"], Unknown)
    region = replication.values["destination"][0]["region"]
    assert isinstance(region, Unknown) and "DescribeReplicationConfigurations" in region.reason
    inventory, found = _judged(records, clients)
    assert any(resource == FS_ARN and outcome == "unknown" for _, outcome, resource in found)
    assert _failed_calls(inventory.coverage) == {"DescribeFileSystems", "DescribeFileSystemPolicy",
                                                 "DescribeReplicationConfigurations"}


# --- ElastiCache -----------------------------------------------------------------------------------------------


def _group(global_id: str | None = None) -> dict[str, Any]:
    info = {"GlobalReplicationGroupInfo": {"GlobalReplicationGroupId": global_id,
                                           "GlobalReplicationGroupMemberRole": "PRIMARY"}} if global_id else {}
    return {"ReplicationGroups": [{"ReplicationGroupId": "claims-cache", "ARN": GROUP_ARN, "Engine": "redis",
                                   "AtRestEncryptionEnabled": True, **info}]}


def _global(primary: str, secondary: str) -> dict[str, Any]:
    return {"GlobalReplicationGroups": [{
        "GlobalReplicationGroupId": "ldgnf-claims", "ARN": f"arn:aws:elasticache::{ACCOUNT}:globalreplicationgroup:"
                                                           "ldgnf-claims", "Engine": "redis",
        "Members": [{"ReplicationGroupId": "claims-cache", "ReplicationGroupRegion": primary, "Role": "PRIMARY"},
                    {"ReplicationGroupId": "claims-cache-dr", "ReplicationGroupRegion": secondary,
                     "Role": "SECONDARY"}]}]}


def _cache(clients: Clients, secondary: str, region: str = "eu-west-2") -> list[ResourceRecord]:
    stubber = _stub(clients, "elasticache", region)
    stubber.add_response("describe_replication_groups", _group("ldgnf-claims"), {"ReplicationGroupId": "claims-cache"})
    stubber.add_response("describe_global_replication_groups", _global("eu-west-2", secondary),
                         {"GlobalReplicationGroupId": "ldgnf-claims", "ShowMemberInfo": True})
    records = elasticache.collect(Work(Scope(ACCOUNT, region), clients, (GROUP_ARN,), {GROUP_ARN: DWP}))
    stubber.assert_no_pending_responses()
    return records


def test_a_global_datastore_member_abroad_is_replication_of_the_dwp_member(clients: Clients) -> None:
    records = _cache(clients, "us-east-1")
    by_type = {(r.type, r.address): r for r in records}
    member = by_type[("aws_elasticache_replication_group", GROUP_ARN)]
    assert member.values["global_replication_group_id"] == "ldgnf-claims"
    group = by_type[("aws_elasticache_global_replication_group",
                     f"arn:aws:elasticache::{ACCOUNT}:globalreplicationgroup:ldgnf-claims")]
    assert group.values["primary_replication_group_id"] == GROUP_ARN
    assert group.placement.region.value == "eu-west-2"  # the primary's region
    dr_arn = f"arn:aws:elasticache:us-east-1:{ACCOUNT}:replicationgroup:claims-cache-dr"
    dr = by_type[("aws_elasticache_replication_group", dr_arn)]
    assert dr.placement.region.value == "us-east-1" and dr.values["global_replication_group_id"] == "ldgnf-claims"
    _, found = _judged(records, clients)
    # As for Terraform (fixtures/aws-elasticache-global-datastore): replication of the primary and of the
    # datastore; the untagged member abroad is DWP as their copy, said once, by the replication findings.
    assert found == {("OFS-REPL-001", "fail", GROUP_ARN), ("OFS-REPL-001", "fail", group.address)}


def test_a_global_datastore_in_the_uk_is_no_finding_and_nothing_is_skipped(clients: Clients) -> None:
    inventory, found = _judged(_cache(clients, "eu-west-2"), clients)
    assert found == set()
    assert _skipped_or_incomplete(inventory) == []


def test_a_replication_group_in_no_global_datastore_asks_nothing_more(clients: Clients) -> None:
    stubber = _stub(clients, "elasticache")
    stubber.add_response("describe_replication_groups", _group(), {"ReplicationGroupId": "claims-cache"})
    [record] = elasticache.collect(Work(HERE, clients, (GROUP_ARN,), {GROUP_ARN: DWP}))
    stubber.assert_no_pending_responses()
    assert record.values["global_replication_group_id"] is None


def test_an_unreadable_global_datastore_is_replication_to_unknown_places(clients: Clients) -> None:
    stubber = _stub(clients, "elasticache")
    stubber.add_response("describe_replication_groups", _group("ldgnf-claims"), {"ReplicationGroupId": "claims-cache"})
    stubber.add_client_error("describe_global_replication_groups", "AccessDenied", "denied", 403)
    records = elasticache.collect(Work(HERE, clients, (GROUP_ARN,), {GROUP_ARN: DWP}))
    placeholder = next(r for r in records if r.address.endswith("?members"))
    assert isinstance(placeholder.placement.region.value, Unknown)
    assert "DescribeGlobalReplicationGroups" in placeholder.placement.region.value.reason
    _, found = _judged(records, clients)
    assert any(resource == GROUP_ARN and outcome == "unknown" for _, outcome, resource in found)
    stubber.add_client_error("describe_replication_groups", "AccessDenied", "denied", 403)
    [located] = elasticache.collect(Work(HERE, clients, (GROUP_ARN,), {GROUP_ARN: DWP}))
    assert "DescribeReplicationGroups failed" in " ".join(located.provenance["arn"])


# --- OpenSearch ------------------------------------------------------------------------------------------------


def _info(owner: str, region: str, name: str) -> dict[str, Any]:
    return {"AWSDomainInformation": {"OwnerId": owner, "Region": region, "DomainName": name}}


def _connection(local: dict[str, Any], remote: dict[str, Any], status: str = "ACTIVE") -> dict[str, Any]:
    """An outbound connection (an inbound one, as DescribeInboundConnections answers it, has no alias)."""
    return {"ConnectionId": "cc-0123456789", "ConnectionAlias": "to-global", "ConnectionMode": "DIRECT",
            "ConnectionStatus": {"StatusCode": status}, "LocalDomainInfo": local, "RemoteDomainInfo": remote}


def _inbound(local: dict[str, Any], remote: dict[str, Any], status: str = "ACTIVE") -> dict[str, Any]:
    return {k: v for k, v in _connection(local, remote, status).items() if k != "ConnectionAlias"}


def _search(clients: Clients, outbound: list[Any], inbound: list[Any]) -> list[ResourceRecord]:
    stubber = _stub(clients, "opensearch")
    stubber.add_response("describe_outbound_connections", {"Connections": outbound}, {"Filters": [
        {"Name": "local-domain-info.domain-name", "Values": ["claims-search"]}]})
    stubber.add_response("describe_inbound_connections", {"Connections": inbound}, {"Filters": [
        {"Name": "remote-domain-info.domain-name", "Values": ["claims-search"]}]})
    records = opensearch.collect(Work(HERE, clients, (DOMAIN_ARN,), {DOMAIN_ARN: DWP}))
    stubber.assert_no_pending_responses()
    return records


def _domain() -> ResourceRecord:
    return located_record(HERE, DOMAIN_ARN, "aws_opensearch_domain", DWP, "resourcegroupstaggingapi:GetResources")


def test_a_dwp_domain_connected_to_one_abroad_is_a_flow_both_ways(clients: Clients) -> None:
    ours, theirs = _info(ACCOUNT, "eu-west-2", "claims-search"), _info("444455556666", "us-east-1", "global-search")
    records = _search(clients, [_connection(ours, theirs)], [_inbound(theirs, ours, "PENDING_ACCEPTANCE")])
    outbound, inbound = records
    assert outbound.type == inbound.type == "aws_opensearch_outbound_connection"
    assert outbound.values["remote_domain_info"] == [
        {"owner_id": "444455556666", "region": "us-east-1", "domain_name": "global-search"}]
    assert outbound.values["connection_mode"] == "DIRECT"
    # The inbound one is the other account's outbound connection: recorded where its requester is.
    assert inbound.placement.region.value == "us-east-1" and inbound.placement.account == "444455556666"
    for connection in records:
        _, found = _judged([_domain(), connection], clients)
        assert ("OFS-CONN-001", "unknown", DOMAIN_ARN) in found


def test_a_connection_within_the_uk_or_deleted_is_no_finding_and_nothing_is_skipped(clients: Clients) -> None:
    ours, uk = _info(ACCOUNT, "eu-west-2", "claims-search"), _info(ACCOUNT, "eu-west-2", "claims-archive")
    abroad = _info("444455556666", "us-east-1", "global-search")
    records = _search(clients, [_connection(ours, uk)], [_inbound(abroad, ours, "DELETED")])
    assert len(records) == 1
    inventory, found = _judged([_domain(), *records], clients)
    assert found == set()
    assert _skipped_or_incomplete(inventory) == []


def test_unreadable_connections_are_unknown_never_none(clients: Clients) -> None:
    stubber = _stub(clients, "opensearch")
    stubber.add_client_error("describe_outbound_connections", "AccessDeniedException", "denied", 403)
    stubber.add_response("describe_inbound_connections", {"Connections": [], "NextToken": "t1"})
    stubber.add_response("describe_inbound_connections", {"Connections": [], "NextToken": "t1"})
    records = opensearch.collect(Work(HERE, clients, (DOMAIN_ARN,), {DOMAIN_ARN: DWP}))
    outbound, inbound = records
    assert isinstance(outbound.values["remote_domain_info"][0]["region"], Unknown)
    assert "endless pagination" in inbound.values["local_domain_info"][0]["region"].reason
    inventory, found = _judged([_domain(), *records], clients)
    assert ("OFS-CONN-001", "unknown", DOMAIN_ARN) in found or ("OFS-UNK-001", "unknown", DOMAIN_ARN) in found
    assert _failed_calls(inventory.coverage) == {"DescribeOutboundConnections", "DescribeInboundConnections"}


# --- moto server: what moto implements, and the calls it does not as failed ones --------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _moto_clients(endpoint: str) -> Clients:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        session = guarded(boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="eu-west-2"))
        clients = Clients({ACCOUNT: session}, Recorder())
        for service in ("efs", "elasticache", "opensearch"):
            clients.get(ACCOUNT, "eu-west-2", service)  # made while the endpoint is set
    return clients


def test_on_moto_a_file_system_and_its_policy_are_read_and_replication_is_a_gap(endpoint: str) -> None:
    raw = boto3.client("efs", region_name="eu-west-2", endpoint_url=endpoint, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    made = raw.create_file_system(CreationToken="claims", Encrypted=True,
                                  Tags=[{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}])
    raw.put_file_system_policy(FileSystemId=made["FileSystemId"], Policy='{"Version": "2012-10-17", "Statement": '
                               '[{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:'
                               'ClientMount", "Resource": "*"}]}')
    clients = _moto_clients(endpoint)
    records = efs.collect(Work(HERE, clients, (made["FileSystemArn"],), {made["FileSystemArn"]: DWP}))
    system, policy, replication = records
    assert (system.type, system.values["id"], system.values["encrypted"]) == (
        "aws_efs_file_system", made["FileSystemId"], True)
    assert "ClientMount" in policy.values["policy"]
    assert isinstance(replication.values["destination"][0]["region"], Unknown)
    assert _failed_calls(clients.recorder.gaps()) == {"DescribeReplicationConfigurations"}


def test_on_moto_a_global_datastore_member_is_read_and_the_datastore_is_a_gap(endpoint: str) -> None:
    raw = boto3.client("elasticache", region_name="eu-west-2", endpoint_url=endpoint, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    raw.create_replication_group(ReplicationGroupId="claims-cache", ReplicationGroupDescription="claims",
                                 GlobalReplicationGroupId="ldgnf-claims", Engine="redis")
    clients = _moto_clients(endpoint)
    records = elasticache.collect(Work(HERE, clients, (GROUP_ARN,), {GROUP_ARN: DWP}))
    member = next(r for r in records if r.address == GROUP_ARN)
    assert member.values["global_replication_group_id"] == "ldgnf-claims"
    assert any(r.address.endswith("?members") for r in records)
    assert _failed_calls(clients.recorder.gaps()) == {"DescribeGlobalReplicationGroups"}
    _, found = _judged(records, clients)
    assert any(resource == GROUP_ARN and outcome == "unknown" for _, outcome, resource in found)


def test_on_moto_opensearch_connections_are_gaps_never_none(endpoint: str) -> None:
    clients = _moto_clients(endpoint)
    records = opensearch.collect(Work(HERE, clients, (DOMAIN_ARN,), {DOMAIN_ARN: DWP}))
    assert len(records) == 2 and all(r.type == "aws_opensearch_outbound_connection" for r in records)
    assert _failed_calls(clients.recorder.gaps()) == {"DescribeOutboundConnections", "DescribeInboundConnections"}
