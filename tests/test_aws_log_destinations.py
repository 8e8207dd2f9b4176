"""Where logs and outputs go: Route 53 Resolver query logging, Glue jobs, Step Functions and API Gateway (REST and
HTTP) end to end on a moto server on 127.0.0.1 (one server for the module); Athena workgroups and every failed
call from recorded answers (moto 5.2.6 does not answer botocore's rest-json Athena).

The estate, all in eu-west-2: a DWP VPC whose DNS queries are logged to ``dns-logs-us`` (us-east-1), and an
untagged VPC logging to a log group abroad (not read: nothing DWP); a DWP Glue job with its script in
``glue-scripts-uk`` and its ``--TempDir`` in ``glue-temp-us``; a DWP state machine logging its executions to a log
group in us-east-1; a REST API and an HTTP API whose stages log to us-east-1. moto's Tagging API lists neither
API, so they are read in the scan that names the account as wholly DWP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from providers.aws.adapter import scan_aws
from providers.aws.calls import Clients, Failed
from providers.aws.collectors import Work, apigateway, athena, glue, route53resolver, stepfunctions
from providers.aws.coverage import Recorder
from providers.aws.follow import wanted_buckets
from providers.aws.options import AwsOptions
from providers.aws.records import Scope, live_record
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from scanner.engine import evaluate
from scanner.model import Finding, Inventory, ScopeStatus
from tests.helpers import moto_server

ACCOUNT = "123456789012"
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}]
DWP_MAP = {"Classification": "OFFICIAL-SENSITIVE"}
MINE = ("route53resolver", "glue", "stepfunctions", "apigateway", "apigatewayv2")
HERE = Scope(ACCOUNT, "eu-west-2")
US_LOGS = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _client(endpoint: str, service: str, region: str = "eu-west-2") -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def estate(endpoint: str) -> dict[str, str]:
    for name, region in (("dns-logs-us", "us-east-1"), ("glue-temp-us", "us-east-1"),
                         ("glue-scripts-uk", "eu-west-2")):
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        _client(endpoint, "s3", region).create_bucket(Bucket=name, **extra)
    ec2 = _client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": DWP}])
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")
    resolver = _client(endpoint, "route53resolver")
    logged = resolver.create_resolver_query_log_config(Name="dns-us", DestinationArn="arn:aws:s3:::dns-logs-us",
                                                       CreatorRequestId="1")["ResolverQueryLogConfig"]
    resolver.associate_resolver_query_log_config(ResolverQueryLogConfigId=logged["Id"],
                                                 ResourceId=vpc["Vpc"]["VpcId"])
    unrelated = resolver.create_resolver_query_log_config(Name="dns-other", DestinationArn=f"{US_LOGS}:dns",
                                                          CreatorRequestId="2")["ResolverQueryLogConfig"]
    resolver.associate_resolver_query_log_config(ResolverQueryLogConfigId=unrelated["Id"],
                                                 ResourceId=other["Vpc"]["VpcId"])
    _client(endpoint, "glue").create_job(
        Name="claims-etl", Role=f"arn:aws:iam::{ACCOUNT}:role/glue", Tags=DWP_MAP,
        Command={"Name": "glueetl", "ScriptLocation": "s3://glue-scripts-uk/etl.py"},
        DefaultArguments={"--TempDir": "s3://glue-temp-us/tmp/", "--enable-metrics": "true"})
    machine = _client(endpoint, "stepfunctions").create_state_machine(
        name="claims-flow", roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        definition=json.dumps({"StartAt": "a", "States": {"a": {"Type": "Pass", "End": True}}}),
        loggingConfiguration={"level": "ALL", "includeExecutionData": True, "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": f"{US_LOGS}:sfn:*"}}]},
        tags=[{"key": "Classification", "value": "OFFICIAL-SENSITIVE"}])
    rest = _client(endpoint, "apigateway")
    api = rest.create_rest_api(name="claims-api", tags=DWP_MAP)["id"]
    root = rest.get_resources(restApiId=api)["items"][0]["id"]
    rest.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    rest.create_deployment(restApiId=api, stageName="prod")
    rest.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": f"{US_LOGS}:api"}])
    http = _client(endpoint, "apigatewayv2")
    http_api = http.create_api(Name="claims-http", ProtocolType="HTTP", Tags=DWP_MAP)["ApiId"]
    http.create_stage(ApiId=http_api, StageName="live", AccessLogSettings={
        "DestinationArn": f"{US_LOGS}:http", "Format": "$context.requestId"})
    return {"vpc": f"arn:aws:ec2:eu-west-2:{ACCOUNT}:vpc/{vpc['Vpc']['VpcId']}",
            "other_vpc": other["Vpc"]["VpcId"], "unrelated": unrelated["Arn"],
            "job": f"arn:aws:glue:eu-west-2:{ACCOUNT}:job/claims-etl", "machine": machine["stateMachineArn"],
            "rest": f"arn:aws:apigateway:eu-west-2::/restapis/{api}",
            "http": f"arn:aws:apigateway:eu-west-2::/apis/{http_api}"}


def _scan(endpoint: str, scan: ScanOptions) -> Inventory:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name="eu-west-2")
        options = AwsOptions.from_command_line(None, ("eu-west-2",), False, False, None, (), (), 4)
        return scan_aws(options, scan, session=session)


@pytest.fixture(scope="module")
def tagged(endpoint: str, estate: dict[str, str]) -> Inventory:
    return _scan(endpoint, ScanOptions())


@pytest.fixture(scope="module")
def whole(endpoint: str, estate: dict[str, str]) -> Inventory:
    return _scan(endpoint, ScanOptions(rules=replace(ScanOptions().rules, dwp_scopes=frozenset({ACCOUNT}))))


def _findings(inventory: Inventory, resource: str) -> list[Finding]:
    return [f for f in evaluate(inventory) if f.resource.id == resource and f.outcome.value in ("fail", "unknown")
            and f.rule_id != "OFS-GRD-001"]


@pytest.mark.slow
def test_nothing_of_these_readers_is_skipped(tagged: Inventory, whole: Inventory) -> None:
    for inventory in (tagged, whole):
        assert [s for s in inventory.scopes if s.service in MINE and s.status is not ScopeStatus.SCANNED] == []
        assert not [g for g in inventory.coverage if g.incomplete and any(m in g.reason for m in MINE)]
    # Nothing DWP of these kinds is left to Cloud Control.
    assert not [s for s in (*tagged.scopes, *whole.scopes) if s.service == "cloudcontrol"]
    # moto answers no Athena (rest-json): the wholly DWP account's ListWorkGroups is its one expected gap.
    [athena_scope] = [s for s in whole.scopes if s.service == "athena"]
    assert athena_scope.status is ScopeStatus.FAILED and (athena_scope.detail or "").startswith("ListWorkGroups")
    assert not [s for s in tagged.scopes if s.service == "athena"]  # no DWP workgroup: nothing asked


def _declared_here(inventory: Inventory, resource: str) -> list[Finding]:
    """The findings on ``resource`` but those of the region's metric streams (moto cannot answer them)."""
    return [f for f in _findings(inventory, resource) if ":metric-stream" not in (f.declared_by or "")]


def _connected(inventory: Inventory) -> list[Finding]:
    """What the net says of these records: nothing, now that the resource map models where they send data."""
    mine = ("route53resolver", ":glue:", ":states:", "::/restapis/", "::/apis/", ":athena:")
    return [f for f in evaluate(inventory) if f.rule_id == "OFS-CONN-001"
            and any(m in (f.declared_by or "") for m in mine)]


@pytest.mark.slow
def test_the_dns_queries_of_a_dwp_vpc_logged_abroad_are_judged_on_the_vpc(tagged: Inventory,
                                                                        estate: dict[str, str]) -> None:
    [finding] = _declared_here(tagged, estate["vpc"])
    assert (finding.rule_id, finding.outcome.value) == ("OFS-DIAG-001", "fail")
    assert ":resolver-query-log-config/" in (finding.declared_by or "")
    assert finding.target is not None and finding.target.region == "us-east-1"
    assert "Route 53 Resolver query logging" in finding.message
    # The association names the VPC and the configuration: the map's relation, not the net's unknown.
    assert _connected(tagged) == []
    # The untagged VPC's configuration is not read: it carries nothing DWP.
    assert not [r for r in tagged.resources if r.id == estate["unrelated"]]
    # One call lists the associations, a second the configurations (a DWP VPC is associated).
    [scope] = [s for s in tagged.scopes if s.service == "route53resolver"]
    assert scope.calls == 2


@pytest.mark.slow
def test_a_dwp_glue_jobs_temporary_directory_abroad_is_judged(tagged: Inventory, estate: dict[str, str]) -> None:
    # The temporary directory holds copies of the data the job processes: a copy abroad. Its script is in London.
    [finding] = _declared_here(tagged, estate["job"])
    assert (finding.rule_id, finding.outcome.value, finding.declared_by) == ("OFS-REPL-001", "fail", estate["job"])
    assert "temporary directory" in finding.message
    assert finding.target is not None and finding.target.region == "us-east-1"
    assert [f for f in tagged.flows if f.resource_id == estate["job"] and f.target_id == "arn:aws:s3:::glue-temp-us"]


@pytest.mark.slow
def test_a_dwp_state_machine_logging_abroad_is_judged(tagged: Inventory, estate: dict[str, str]) -> None:
    [finding] = _declared_here(tagged, estate["machine"])
    assert (finding.rule_id, finding.outcome.value) == ("OFS-DIAG-001", "fail")
    assert "Step Functions execution logging" in finding.message
    assert finding.target is not None and finding.target.region == "us-east-1"
    assert _connected(tagged) == []


@pytest.mark.slow
def test_a_wholly_dwp_accounts_api_stages_logging_abroad_are_judged(whole: Inventory, estate: dict[str, str]) -> None:
    for api, stage in ((estate["rest"], "prod"), (estate["http"], "live")):
        found = [f for f in _findings(whole, api) if f.declared_by == f"{api}/stages/{stage}"]
        assert [(f.rule_id, f.outcome.value) for f in found] == [("OFS-DIAG-001", "fail")], found
        assert "stage access logging" in found[0].message
        assert found[0].target is not None and found[0].target.region == "us-east-1"
    assert _connected(whole) == []
    # Every configuration of a wholly DWP account is read, the unrelated VPC's too.
    assert [r for r in whole.resources if r.id == estate["unrelated"]]


# --- recorded answers: Athena, and every failed call -------------------------------------------------------------

def _denied(service: str, operation: str) -> Failed:
    return Failed(service, operation, ScopeStatus.DENIED, "AccessDenied")


def test_an_athena_workgroup_writes_results_where_its_output_location_says() -> None:
    answer = {"WorkGroup": {"Name": "claims", "State": "ENABLED", "Configuration": {
        "ResultConfiguration": {"OutputLocation": "s3://athena-us/results/", "ExpectedBucketOwner": ACCOUNT},
        "EnforceWorkGroupConfiguration": True}}}
    arn = f"arn:aws:athena:eu-west-2:{ACCOUNT}:workgroup/claims"
    [record] = athena.translate_workgroups(HERE, athena.WorkGroupAnswers(None, {"claims": answer}), {arn: DWP_MAP})
    assert record.address == arn and record.type == "aws_athena_workgroup"
    assert record.values["configuration"][0]["result_configuration"][0]["output_location"] == \
        "s3://athena-us/results/"
    assert wanted_buckets([record]) == [(ACCOUNT, "athena-us")]  # the results' bucket is located


def _judged(records: list[ResourceRecord], scan: ScanOptions | None = None) -> list[tuple[str, str, str, str | None]]:
    """(rule, outcome, resource, target region) of every finding but the guardrail's."""
    findings = evaluate(to_inventory(records, scan or ScanOptions()))
    return sorted((f.rule_id, f.outcome.value, f.resource.id, f.target.region if f.target else None)
                  for f in findings if f.rule_id != "OFS-GRD-001")


def _bucket(name: str, region: str) -> ResourceRecord:
    return live_record(Scope(ACCOUNT, region), f"arn:aws:s3:::{name}", "aws_s3_bucket", {"bucket": name},
                       "s3:GetBucketLocation")


def test_a_dwp_workgroups_results_abroad_are_a_copy_and_in_london_pass() -> None:
    def workgroup(name: str, output: str) -> ResourceRecord:
        answer = {"WorkGroup": {"Name": name, "Configuration": {"ResultConfiguration": {"OutputLocation": output}}}}
        arn = f"arn:aws:athena:eu-west-2:{ACCOUNT}:workgroup/{name}"
        [record] = athena.translate_workgroups(HERE, athena.WorkGroupAnswers(None, {name: answer}), {arn: DWP_MAP})
        return record

    records = [workgroup("claims", "s3://athena-us/results/"), workgroup("awards", "s3://athena-uk/results/"),
               workgroup("appeals", "s3://athena-elsewhere/results/"),
               _bucket("athena-us", "us-east-1"), _bucket("athena-uk", "eu-west-2")]
    workgroups = f"arn:aws:athena:eu-west-2:{ACCOUNT}:workgroup"
    assert _judged(records) == [
        ("OFS-REPL-001", "fail", f"{workgroups}/claims", "us-east-1"),
        # A bucket that was not located (not followed, or not readable) is an unknown, never a pass.
        ("OFS-UNK-001", "unknown", f"{workgroups}/appeals", None),
    ]


def test_failed_reads_are_unknown_destinations_of_the_dwp_resources() -> None:
    vpc = live_record(HERE, f"arn:aws:ec2:eu-west-2:{ACCOUNT}:vpc/vpc-1", "aws_vpc",
                      {"id": "vpc-1", "tags": DWP_MAP}, "ec2:DescribeVpcs")
    answers = route53resolver.QueryLogAnswers(_denied("route53resolver", "ListResolverQueryLogConfigAssociations"),
                                              None)
    queries = route53resolver.translate_query_logging(HERE, answers, ["vpc-1"], [], False, {})
    machine = f"arn:aws:states:eu-west-2:{ACCOUNT}:stateMachine:claims-flow"
    machines = stepfunctions.translate_machines(HERE, stepfunctions.MachineAnswers(
        None, {machine: _denied("stepfunctions", "DescribeStateMachine")}), {machine: DWP_MAP})
    job = f"arn:aws:glue:eu-west-2:{ACCOUNT}:job/claims-etl"
    jobs = glue.translate_jobs(HERE, _denied("glue", "GetJobs"), [job], False, {job: DWP_MAP})
    found = _judged([vpc, *queries, *machines, *jobs])
    assert [(rule, resource) for rule, outcome, resource, _ in found if outcome == "unknown"] == [
        ("OFS-UNK-001", vpc.address), ("OFS-UNK-001", job), ("OFS-UNK-001", machine)]
    assert not [f for f in found if f[1] != "unknown" or f[0] == "OFS-CONN-001"]


def _stubbed_athena() -> tuple[Clients, Stubber]:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    clients = Clients({ACCOUNT: session}, Recorder())
    stubber = Stubber(clients.get(ACCOUNT, "eu-west-2", "athena").client)
    stubber.activate()
    return clients, stubber


def _workgroup_answer(name: str, output: str) -> dict[str, Any]:
    return {"WorkGroup": {"Name": name, "Configuration": {"ResultConfiguration": {"OutputLocation": output}}}}


def test_every_page_of_a_wholly_dwp_accounts_workgroups_is_read() -> None:
    # botocore has no ListWorkGroups paginator: the second page, named by NextToken, is asked for by hand.
    clients, stubber = _stubbed_athena()
    stubber.add_response("list_work_groups", {"WorkGroups": [{"Name": "primary"}], "NextToken": "page-2"}, {})
    stubber.add_response("list_work_groups", {"WorkGroups": [{"Name": "claims"}]}, {"NextToken": "page-2"})
    stubber.add_response("get_work_group", _workgroup_answer("claims", "s3://athena-us/claims/"),
                         {"WorkGroup": "claims"})
    stubber.add_response("get_work_group", _workgroup_answer("primary", "s3://athena-uk/primary/"),
                         {"WorkGroup": "primary"})
    records = athena.collect(Work(HERE, clients, (), {}, whole_account=True))
    stubber.assert_no_pending_responses()
    outputs = {r.values["name"]: r.values["configuration"][0]["result_configuration"][0]["output_location"]
               for r in records}
    assert outputs == {"claims": "s3://athena-us/claims/", "primary": "s3://athena-uk/primary/"}
    assert not [g for g in clients.recorder.gaps() if g.incomplete]


def test_a_next_token_given_twice_is_a_failed_workgroup_list_never_its_first_page() -> None:
    clients, stubber = _stubbed_athena()
    stubber.add_response("list_work_groups", {"WorkGroups": [{"Name": "primary"}], "NextToken": "again"}, {})
    stubber.add_response("list_work_groups", {"WorkGroups": [{"Name": "claims"}], "NextToken": "again"},
                         {"NextToken": "again"})
    records = athena.collect(Work(HERE, clients, (), {}, whole_account=True))
    stubber.assert_no_pending_responses()  # no workgroup of the pages is read as if they were all
    [record] = records
    where = record.values["configuration"][0]["result_configuration"][0]["output_location"]
    assert record.values["name"] is None and isinstance(where, Unknown)
    assert "ListWorkGroups" in where.reason and "endless pagination" in where.reason
    [gap] = [g for g in clients.recorder.gaps() if g.incomplete]
    assert "ListWorkGroups" in gap.reason and "endless pagination" in gap.reason
    # Judged in the wholly DWP account: the region's workgroups write results to a place that is not established.
    whole = ScanOptions(rules=replace(ScanOptions().rules, dwp_scopes=frozenset({ACCOUNT})))
    assert _judged(records, whole) == [("OFS-UNK-001", "unknown", record.address, None)]


def test_a_failed_athena_read_is_an_unknown_output_location() -> None:
    failed = _denied("athena", "GetWorkGroup")
    [record] = athena.translate_workgroups(HERE, athena.WorkGroupAnswers(None, {"claims": failed}), {})
    location = record.values["configuration"][0]["result_configuration"][0]["output_location"]
    assert isinstance(location, Unknown) and "athena:GetWorkGroup" in location.reason
    [listed] = athena.translate_workgroups(HERE, athena.WorkGroupAnswers(_denied("athena", "ListWorkGroups"), {}), {})
    assert isinstance(listed.values["configuration"][0]["result_configuration"][0]["output_location"], Unknown)


def test_a_failed_association_listing_leaves_each_dwp_vpcs_query_logs_unknown() -> None:
    answers = route53resolver.QueryLogAnswers(_denied("route53resolver", "ListResolverQueryLogConfigAssociations"),
                                              None)
    records = route53resolver.translate_query_logging(HERE, answers, ["vpc-1"], [], False, {})
    [config] = [r for r in records if r.type == "aws_route53_resolver_query_log_config"]
    [association] = [r for r in records if r.type == "aws_route53_resolver_query_log_config_association"]
    assert isinstance(config.values["destination_arn"], Unknown)
    assert association.values["resource_id"] == "vpc-1"
    assert association.values["resolver_query_log_config_id"] == config.values["id"]


def test_a_failed_configuration_listing_leaves_the_associated_configuration_unknown() -> None:
    associations = [{"Id": "rqla-1", "ResolverQueryLogConfigId": "rqlc-1", "ResourceId": "vpc-1"}]
    answers = route53resolver.QueryLogAnswers(associations, _denied("route53resolver", "ListResolverQueryLogConfigs"))
    records = route53resolver.translate_query_logging(HERE, answers, ["vpc-1"], [], False, {})
    [config] = [r for r in records if r.type == "aws_route53_resolver_query_log_config"]
    assert config.values["id"] == "rqlc-1" and isinstance(config.values["destination_arn"], Unknown)


def test_a_failed_glue_listing_leaves_each_dwp_jobs_paths_unknown() -> None:
    job = f"arn:aws:glue:eu-west-2:{ACCOUNT}:job/claims-etl"
    [record] = glue.translate_jobs(HERE, _denied("glue", "GetJobs"), [job], False, {job: DWP_MAP})
    assert record.address == job and isinstance(record.values["default_arguments"]["--TempDir"], Unknown)
    [region] = glue.translate_jobs(HERE, _denied("glue", "GetJobs"), [], True, {})
    assert isinstance(region.values["command"][0]["script_location"], Unknown)


def test_a_failed_state_machine_read_logs_to_an_unknown_place() -> None:
    machine = f"arn:aws:states:eu-west-2:{ACCOUNT}:stateMachine:claims-flow"
    answers = stepfunctions.MachineAnswers(None, {machine: _denied("stepfunctions", "DescribeStateMachine")})
    [record] = stepfunctions.translate_machines(HERE, answers, {})
    assert record.address == machine
    assert isinstance(record.values["logging_configuration"][0]["log_destination"], Unknown)


def test_failed_api_gateway_reads_are_unknown_names_and_log_destinations() -> None:
    answers = apigateway.ApiAnswers(_denied("apigateway", "GetRestApis"), {"abc": _denied("apigateway", "GetStages")})
    [api, stage] = apigateway.translate_apis(HERE, apigateway.REST, answers, {})
    assert api.address == "arn:aws:apigateway:eu-west-2::/restapis/abc" and isinstance(api.values["name"], Unknown)
    assert stage.values["rest_api_id"] == "abc"
    assert isinstance(stage.values["access_log_settings"][0]["destination_arn"], Unknown)
