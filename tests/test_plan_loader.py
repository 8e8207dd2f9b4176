"""The plan adapter: `terraform show -json` output into the records the HCL adapter also produces."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from providers.semantics.records import ResourceRecord, Unknown
from providers.terraform.plan_loader import PlanError, load_plan, looks_like_plan, parse_plan
from scanner.model import SourceRef

PLANS = Path(__file__).resolve().parent / "data" / "plans"
AWS = "registry.terraform.io/hashicorp/aws"


def load_file(name: str) -> dict[str, ResourceRecord]:
    path = PLANS / name
    resources, gaps = load_plan(parse_plan(path.read_text(encoding="utf-8"), name), name)
    assert gaps == ()
    return {r.address: r for r in resources}


def small_plan(
    *,
    address: str = "aws_s3_bucket.b",
    values: dict[str, Any] | None = None,
    after_unknown: dict[str, Any] | None = None,
    expressions: dict[str, Any] | None = None,
    provider_key: str = "aws",
    provider_config: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    module_calls: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-resource plan in the shape Terraform writes; `module_calls` may hold the resource's module."""
    resource_type, name = address.split(".")[-2], address.split(".")[-1].split("[")[0]
    config_resource = {
        "address": f"{resource_type}.{name}", "mode": "managed", "type": resource_type, "name": name,
        "provider_config_key": provider_key, "expressions": expressions or {}, "schema_version": 0,
    }
    root: dict[str, Any] = {"resources": [config_resource]}
    if module_calls is not None:
        root = {"module_calls": copy.deepcopy(module_calls)}
        module = root
        for call in address.split(".")[1:-2:2]:
            module = module["module_calls"][call.split("[")[0]]["module"]
        module["resources"] = [config_resource]
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "variables": variables or {},
        "planned_values": {"root_module": {"resources": [{
            "address": address, "mode": "managed", "type": resource_type, "name": name,
            "provider_name": AWS, "schema_version": 0, "values": values or {"bucket": "dwp-b"},
            "sensitive_values": {},
        }]}},
        "resource_changes": [{
            "address": address, "mode": "managed", "type": resource_type, "name": name, "provider_name": AWS,
            "change": {"actions": ["create"], "before": None, "after": values or {"bucket": "dwp-b"},
                       "after_unknown": after_unknown or {}, "before_sensitive": False, "after_sensitive": {}},
        }],
        "configuration": {
            "provider_config": provider_config if provider_config is not None else {
                "aws": {"name": "aws", "full_name": AWS, "expressions": {"region": {"constant_value": "eu-west-2"}}},
            },
            "root_module": root,
        },
    }


def only(plan: dict[str, Any]) -> ResourceRecord:
    resources, gaps = load_plan(plan, "plan.json")
    assert gaps == ()
    assert len(resources) == 1
    return resources[0]


# --- provider regions ---------------------------------------------------------------------------


def test_provider_alias_takes_its_region_from_a_plan_variable() -> None:
    replica = load_file("s3-crr-alias.json")["aws_s3_bucket.claims_dr"]
    assert replica.placement.key == "aws.dr"
    assert replica.placement.region.value == "us-east-1"
    assert replica.placement.region.provenance == (
        "provider aws.dr (plan configuration)",
        'var.dr_region = "us-east-1" (plan variables)',
    )


def test_default_provider_has_a_constant_region_and_default_tags() -> None:
    claims = load_file("s3-crr-alias.json")["aws_s3_bucket.claims"]
    assert claims.placement.key == "aws"
    assert claims.placement.region.value == "eu-west-2"
    assert claims.placement.region.provenance == ("provider aws (plan configuration)",)
    assert claims.placement.default_tags == {"Owner": "dwp-digital"}


def test_default_tags_from_a_variable_are_resolved() -> None:
    replica = load_file("s3-crr-alias.json")["aws_s3_bucket.claims_dr"]
    assert replica.placement.default_tags == {"Owner": "dwp-digital", "Purpose": "disaster-recovery"}


def test_module_given_an_aliased_provider_through_a_providers_map() -> None:
    # Terraform folds `providers = { aws = aws.dr }` into the resource's provider_config_key.
    replica = load_file("modules-providers-map.json")["module.dr.aws_s3_bucket.replica"]
    assert replica.placement.key == "aws.dr"
    assert replica.placement.region.value == "us-east-1"
    assert replica.module_path == "module.dr"


def test_provider_configured_inside_a_module_reads_the_module_call_argument() -> None:
    vpc = load_file("modules-providers-map.json")["module.net.aws_vpc.main"]
    assert vpc.placement.key == "module.net:aws"
    assert vpc.placement.region.value == "eu-west-1"
    assert vpc.placement.region.provenance == (
        "provider module.net:aws (plan configuration)",
        'var.region = "eu-west-1" (argument of module.net, plan configuration)',
        'var.net_region = "eu-west-1" (plan variables)',
    )


def test_nested_module_inherits_its_parents_provider() -> None:
    flow_log = load_file("modules-providers-map.json")["module.net.module.flow_logs.aws_flow_log.this"]
    assert flow_log.placement.region.value == "eu-west-1"
    assert flow_log.module_path == "module.net.module.flow_logs"


def test_passed_provider_entries_with_parent_keys_are_followed() -> None:
    plan = small_plan(
        address="module.dr.module.inner.aws_s3_bucket.b",
        provider_key="module.dr.module.inner:aws",
        provider_config={
            "aws.dr": {"name": "aws", "alias": "dr", "expressions": {"region": {"references": ["var.dr_region"]}}},
            "module.dr:aws": {"name": "aws", "module_address": "module.dr", "parent_key": "aws.dr"},
            "module.dr.module.inner:aws": {
                "name": "aws", "module_address": "module.dr.module.inner", "parent_key": "module.dr:aws",
            },
        },
        variables={"dr_region": {"value": "us-west-2"}},
        module_calls={"dr": {"source": "./dr", "module": {"module_calls": {"inner": {"module": {}}}}}},
    )
    bucket = only(plan)
    assert bucket.placement.key == "aws.dr"
    assert bucket.placement.region.value == "us-west-2"
    assert bucket.placement.region.provenance == (
        "provider module.dr.module.inner:aws is passed in from module.dr:aws (plan configuration)",
        "provider module.dr:aws is passed in from aws.dr (plan configuration)",
        "provider aws.dr (plan configuration)",
        'var.dr_region = "us-west-2" (plan variables)',
    )


def test_older_provider_keys_without_the_module_prefix_are_matched() -> None:
    plan = small_plan(
        address="module.net.aws_vpc.main",
        values={"cidr_block": "10.0.0.0/16"},
        provider_key="net:aws",
        provider_config={
            "aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-2"}}},
            "module.net:aws": {"name": "aws", "module_address": "module.net",
                               "expressions": {"region": {"constant_value": "eu-central-1"}}},
        },
        module_calls={"net": {"source": "./net", "module": {}}},
    )
    assert only(plan).placement.region.value == "eu-central-1"


def test_a_provider_key_the_plan_does_not_describe_is_unknown_not_inherited() -> None:
    # Terraform before 1.2 wrote `dr:aws` with no entry even when `providers = { aws = aws.dr }` was passed:
    # falling back to the root `aws` would place a US bucket in London.
    plan = small_plan(
        address="module.dr.aws_s3_bucket.b",
        provider_key="dr:aws",
        module_calls={"dr": {"source": "./dr", "module": {}}},
    )
    region = only(plan).placement.region
    assert isinstance(region.value, Unknown)
    assert region.value.reason.startswith("provider dr:aws region could not be resolved from the plan: ")


def test_region_from_a_local_is_unknown() -> None:
    plan = small_plan(provider_config={
        "aws": {"name": "aws", "expressions": {"region": {"references": ["local.region"]}}},
    })
    region = only(plan).placement.region
    assert isinstance(region.value, Unknown)
    assert region.value.reason == (
        "provider aws region could not be resolved from the plan: "
        "it refers to local.region, whose value a plan does not record"
    )
    assert region.provenance == ("provider aws (plan configuration)",)


def test_region_from_a_variable_the_plan_lacks_is_unknown() -> None:
    plan = small_plan(provider_config={
        "aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}},
    })
    region = only(plan).placement.region.value
    assert isinstance(region, Unknown)
    assert "var.region has no value" in region.reason


def test_region_from_a_map_variable_element() -> None:
    plan = small_plan(
        provider_config={"aws": {"name": "aws", "expressions": {
            "region": {"references": ['var.regions["dr"]', "var.regions"]},
        }}},
        variables={"regions": {"value": {"primary": "eu-west-2", "dr": "eu-west-1"}}},
    )
    assert only(plan).placement.region.value == "eu-west-1"


def test_region_built_from_two_variables_is_unknown() -> None:
    plan = small_plan(
        provider_config={"aws": {"name": "aws", "expressions": {"region": {"references": ["var.a", "var.b"]}}}},
        variables={"a": {"value": "eu-west-2"}, "b": {"value": "us-east-1"}},
    )
    assert isinstance(only(plan).placement.region.value, Unknown)


def test_module_variable_default_is_used_when_the_call_does_not_set_it() -> None:
    plan = small_plan(
        address="module.net.aws_vpc.main",
        provider_key="module.net:aws",
        provider_config={"module.net:aws": {"name": "aws", "module_address": "module.net",
                                            "expressions": {"region": {"references": ["var.region"]}}}},
        module_calls={"net": {"source": "./net", "module": {"variables": {"region": {"default": "eu-west-2"}}}}},
    )
    region = only(plan).placement.region
    assert region.value == "eu-west-2"
    assert region.provenance[-1] == 'var.region = "eu-west-2" (default in module.net, plan configuration)'


def test_provider_without_a_region_setting_gives_none() -> None:
    plan = small_plan(provider_config={"aws": {"name": "aws", "full_name": AWS}})
    assert only(plan).placement.region.value is None


def test_google_zone_and_project_are_kept_as_extra() -> None:
    plan = small_plan(
        address="google_compute_instance.vm",
        values={"name": "claims-vm", "zone": "europe-west2-a"},
        provider_key="google",
        provider_config={"google": {"name": "google", "expressions": {
            "project": {"constant_value": "dwp-claims-prod"},
            "region": {"constant_value": "europe-west2"},
            "zone": {"references": ["var.zone"]},
        }}},
        variables={"zone": {"value": "europe-west2-b"}},
    )
    provider = only(plan).placement
    assert provider.region.value == "europe-west2"
    assert provider.extra["project"].value == "dwp-claims-prod"
    assert provider.extra["zone"].value == "europe-west2-b"


# --- values -------------------------------------------------------------------------------------


def test_unknown_replication_destination_names_the_bucket_it_comes_from() -> None:
    replication = load_file("s3-crr-alias.json")["aws_s3_bucket_replication_configuration.claims"]
    destination = replication.values["rule"][0]["destination"][0]
    assert destination["storage_class"] == "STANDARD_IA"
    assert destination["bucket"] == Unknown(
        reason="aws_s3_bucket_replication_configuration.claims.rule[0].destination[0].bucket is known only after apply",
        ref="aws_s3_bucket.claims_dr",
        attribute="arn",
    )
    assert replication.values["bucket"].ref == "aws_s3_bucket.claims"
    assert replication.values["role"] == "arn:aws:iam::111122223333:role/replication"


def test_unknown_inside_a_module_refers_to_the_modules_own_resource() -> None:
    versioning = load_file("modules-providers-map.json")["module.dr.aws_s3_bucket_versioning.replica"]
    assert versioning.values["bucket"].ref == "module.dr.aws_s3_bucket.replica"
    assert versioning.values["bucket"].attribute == "id"


def test_unknown_passed_in_through_a_module_variable_refers_to_the_callers_resource() -> None:
    flow_log = load_file("modules-providers-map.json")["module.net.module.flow_logs.aws_flow_log.this"]
    assert flow_log.values["vpc_id"].ref == "module.net.aws_vpc.main"
    assert flow_log.values["vpc_id"].attribute == "id"


def test_computed_attributes_nobody_configured_are_left_out() -> None:
    # arn, and the legacy inline replication_configuration, are filled in by the provider: an Unknown
    # there would be a false "cannot tell" on every new bucket.
    claims = load_file("s3-crr-alias.json")["aws_s3_bucket.claims"]
    assert "arn" not in claims.values
    assert "replication_configuration" not in claims.values
    assert claims.values["tags_all"] == {"DataClassification": "OFFICIAL-SENSITIVE", "Owner": "dwp-digital"}


def test_unknown_elements_inside_lists_and_maps() -> None:
    plan = small_plan(
        address="aws_dynamodb_table.claims",
        values={"name": "claims", "replica": [{"region_name": "eu-west-1"}, None], "tags": {"Team": "ucd"}},
        after_unknown={"replica": [{"arn": True}, True], "tags": {"Owner": True}},
        expressions={"replica": [
            {"region_name": {"constant_value": "eu-west-1"}},
            {"region_name": {"references": ["aws_dynamodb_table.source.region", "aws_dynamodb_table.source"]}},
        ]},
    )
    values = only(plan).values
    assert values["replica"][0]["region_name"] == "eu-west-1"
    assert values["replica"][0]["arn"].reason == "aws_dynamodb_table.claims.replica[0].arn is known only after apply"
    assert values["replica"][1].ref is None  # the whole element is unknown; no one expression produced it
    assert values["tags"] == {"Team": "ucd", "Owner": Unknown("aws_dynamodb_table.claims.tags.Owner is known "
                                                              "only after apply")}


def test_reference_to_one_instance_keeps_its_key() -> None:
    plan = small_plan(
        address="aws_s3_bucket_replication_configuration.r",
        values={"rule": [{"destination": [{"storage_class": "STANDARD"}]}]},
        after_unknown={"rule": [{"destination": [{"bucket": True}]}]},
        expressions={"rule": [{"destination": [{"bucket": {"references": [
            'aws_s3_bucket.replica["dr"].arn', 'aws_s3_bucket.replica["dr"]', "aws_s3_bucket.replica",
        ]}}]}]},
    )
    bucket = only(plan).values["rule"][0]["destination"][0]["bucket"]
    assert (bucket.ref, bucket.attribute) == ('aws_s3_bucket.replica["dr"]', "arn")


def test_value_built_from_two_resources_names_neither() -> None:
    plan = small_plan(
        address="aws_sns_topic_subscription.s",
        values={"protocol": "sqs"},
        after_unknown={"endpoint": True},
        expressions={"endpoint": {"references": ["aws_sqs_queue.a.arn", "aws_sqs_queue.a", "aws_sqs_queue.b.arn",
                                                 "aws_sqs_queue.b"]}},
    )
    assert only(plan).values["endpoint"].ref is None


def test_count_indexed_resources_keep_their_index() -> None:
    resources = load_file("s3-crr-alias.json")
    first = resources["aws_s3_bucket.logs[0]"]
    assert first.type == "aws_s3_bucket"
    assert first.values["bucket"] == "dwp-claims-logs-0"
    assert first.source == SourceRef("s3-crr-alias.json", None, "aws_s3_bucket.logs[0]")
    assert first.module_path == ""
    assert "aws_s3_bucket.logs[1]" in resources


def test_module_instance_keys_stay_in_the_address_and_module_path() -> None:
    archive = load_file("modules-providers-map.json")["module.archive[0].aws_s3_bucket.archive"]
    assert archive.module_path == "module.archive[0]"
    assert archive.placement.region.value == "eu-west-2"
    assert archive.values["region"] == "eu-west-2"


def test_data_sources_and_deleted_resources_are_not_loaded() -> None:
    addresses = set(load_file("s3-crr-alias.json"))
    assert addresses == {
        "aws_s3_bucket.claims", "aws_s3_bucket.claims_dr", "aws_s3_bucket.logs[0]", "aws_s3_bucket.logs[1]",
        "aws_s3_bucket_replication_configuration.claims",
    }


def test_per_resource_region_of_provider_v6_stays_in_values() -> None:
    plan = small_plan(values={"bucket": "dwp-b", "region": "us-east-1", "bucket_region": "us-east-1"},
                      expressions={"region": {"constant_value": "us-east-1"}})
    bucket = only(plan)
    assert bucket.values["region"] == "us-east-1"
    assert bucket.placement.region.value == "eu-west-2"


def test_computed_region_nobody_set_is_left_to_the_provider() -> None:
    # aws_s3_bucket before v6 has a computed `region` that is the provider's; an Unknown would hide it.
    claims = load_file("s3-crr-alias.json")["aws_s3_bucket.claims"]
    assert "region" not in claims.values


def test_configured_region_known_only_after_apply_stays_unknown() -> None:
    plan = small_plan(after_unknown={"region": True},
                      expressions={"region": {"references": ["aws_s3_bucket.other.region", "aws_s3_bucket.other"]}})
    region = only(plan).values["region"]
    assert isinstance(region, Unknown)
    assert region.ref == "aws_s3_bucket.other"


def test_provenance_names_the_planned_values() -> None:
    claims = load_file("s3-crr-alias.json")["aws_s3_bucket.claims"]
    assert claims.provenance["bucket"] == ("bucket (plan planned_values)",)


# --- malformed plans ----------------------------------------------------------------------------


def test_a_malformed_resource_is_a_gap_and_the_rest_is_loaded() -> None:
    plan = small_plan()
    planned = plan["planned_values"]["root_module"]
    planned["resources"] += [
        {"address": "aws_s3_bucket.no_type", "mode": "managed", "values": {}},
        {"address": "aws_s3_bucket.no_values", "mode": "managed", "type": "aws_s3_bucket", "values": None},
        "not a resource",
    ]
    planned["child_modules"] = [{"address": "module.x", "resources": {"not": "a list"}}]
    resources, gaps = load_plan(plan, "plan.json")
    assert [r.address for r in resources] == ["aws_s3_bucket.b"]
    reasons = [g.reason for g in gaps]
    assert len(reasons) == 4
    assert any("aws_s3_bucket.no_type" in r and "no type" in r for r in reasons)
    assert all(g.path == "plan.json" and g.line is None for g in gaps)


def test_an_errored_or_unknown_format_plan_is_flagged() -> None:
    plan = small_plan()
    plan["errored"] = True
    plan["format_version"] = "2.0"
    resources, gaps = load_plan(plan, "plan.json")
    assert len(resources) == 1
    assert len(gaps) == 2


@pytest.mark.parametrize("plan", [
    {"planned_values": "nonsense"},
    {"planned_values": {"root_module": {"resources": [{"address": 3, "mode": "managed"}]}}},
    {"planned_values": {"root_module": {"child_modules": [None, {"resources": [None]}]}}, "resource_changes": 7},
    {"resource_changes": [{"address": "a.b", "mode": "managed", "change": {"actions": ["create"]}}]},
    {"planned_values": {"root_module": {"resources": [{"address": "aws_s3_bucket.b", "mode": "managed",
                                                       "type": "aws_s3_bucket", "values": {"x": None}}]}},
     "resource_changes": [{"address": "aws_s3_bucket.b", "change": {"after_unknown": {"x": [True, {"y": 1}]}}}],
     "configuration": {"provider_config": [], "root_module": {"resources": [
         {"type": "aws_s3_bucket", "name": "b", "provider_config_key": "aws.x"}]}}},
])
def test_junk_inside_a_plan_never_raises(plan: dict[str, Any]) -> None:
    resources, gaps = load_plan(plan, "plan.json")
    assert all(isinstance(r, ResourceRecord) for r in resources)
    assert all(g.path == "plan.json" for g in gaps)


# --- parsing ------------------------------------------------------------------------------------


def test_invalid_json_is_a_plan_error_with_its_line() -> None:
    with pytest.raises(PlanError) as raised:
        parse_plan('{\n  "format_version": "1.2",\n  "planned_values": {,\n}', "plan.json")
    assert str(raised.value).startswith("not valid JSON: ")
    assert raised.value.line == 3


def test_a_json_document_that_is_not_a_plan_is_a_plan_error() -> None:
    with pytest.raises(PlanError) as raised:
        parse_plan(json.dumps({"format_version": "1.0", "values": {"root_module": {}}}), "state.json")
    assert str(raised.value).startswith("not a Terraform plan (no planned_values or resource_changes)")
    assert raised.value.line is None
    with pytest.raises(PlanError):
        parse_plan("[1, 2, 3]", "list.json")


def test_a_byte_order_mark_is_accepted() -> None:
    text = "\ufeff" + (PLANS / "s3-crr-alias.json").read_text(encoding="utf-8")
    assert parse_plan(text, "plan.json")["format_version"] == "1.2"


def test_looks_like_plan() -> None:
    assert looks_like_plan({"planned_values": {}})
    assert looks_like_plan({"resource_changes": []})
    assert not looks_like_plan({"values": {}})
    assert not looks_like_plan(["planned_values"])
