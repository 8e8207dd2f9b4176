"""Key custody end to end: the encryption table (resource_map/encryption.yaml), the fact normalise gives each
data-holding resource, its JSON ``key`` object and round trip, and the evidence pack's custody rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from providers.semantics.argument_catalogue import argument_catalogue
from providers.semantics.encryption import encryption_table
from scanner.cli import main
from scanner.evidence.cover import PackContext
from scanner.evidence.pack import build_pack
from scanner.model import KeyKind
from scanner.result_shape import misshapen
from scanner.results import inventory_of

ROOT = Path(__file__).resolve().parent.parent
S3 = ROOT / "fixtures" / "aws-s3-module-replica-kms-us-east-1"
RDS = ROOT / "fixtures" / "aws-rds-module-replica-kms-eu-west-1"


def _scan(case: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["scan", str(case), "--format", "json"], catch_exceptions=False)
    return json.loads(result.stdout)


def _keys(result: dict[str, Any]) -> dict[str, Any]:
    return {r["id"]: r.get("key") for r in result["inventory"]["resources"]}


def _incomplete(result: dict[str, Any]) -> list[Any]:
    return [g for g in result["coverage"] if g["kind"] != "note"]


# --- the table -----------------------------------------------------------------------------------------------


def test_every_row_names_a_catalogued_type_and_documented_key_arguments() -> None:
    catalogue = argument_catalogue()
    table = encryption_table()
    assert table.types, "the encryption table is empty"
    for resource_type, rule in table.types.items():
        assert resource_type in catalogue, f"{resource_type} is not in arguments.yaml"
        documented = set(catalogue[resource_type].encryption)
        paths = [*rule.key, *([rule.switch] if rule.switch else []),
                 *([rule.provider_when[0]] if rule.provider_when else [])]
        paths += [f"{c.each}.{c.key}" for c in rule.copies]
        for path in paths:
            assert path in documented, f"{resource_type} {path} is not an encryption argument in arguments.yaml"


def test_key_holders_and_not_stored_name_real_types() -> None:
    catalogue = argument_catalogue()
    table = encryption_table()
    for resource_type in table.key_holders:
        assert resource_type in catalogue, resource_type
    assert not table.stores_data("aws_kms_key") and not table.stores_data("aws_vpc")
    assert table.stores_data("aws_s3_bucket")


# --- normalise, from HCL ---------------------------------------------------------------------------------------


def test_the_s3_replica_is_under_the_us_east_1_customer_key() -> None:
    result = _scan(S3)
    assert not _incomplete(result)
    keys = _keys(result)
    replica = keys["module.evidence_replica.aws_s3_bucket.this"]
    assert replica["encrypted"] is True and replica["kind"] == "customer"
    assert replica["key"] == "aws_kms_key.evidence_replica"
    assert replica["location"]["region"] == "us-east-1" and replica["location"]["uk"] is False
    source = keys["module.evidence.aws_s3_bucket.this"]
    assert source["key"] == "aws_kms_key.evidence" and source["location"]["uk"] is True
    # The keys hold no data: no fact. Settings (the SSE configuration itself) have none either.
    assert keys["aws_kms_key.evidence_replica"] is None
    assert keys["module.evidence.aws_s3_bucket_server_side_encryption_configuration.this[0]"] is None


def test_a_topic_naming_no_key_is_not_encrypted() -> None:
    result = _scan(S3)
    assert not _incomplete(result)  # "no key" is a reading, not a gap
    topic = _keys(result)["aws_sns_topic.notices"]
    assert topic["encrypted"] is False and topic["key"] is None and topic["kind"] is None


def test_the_rds_replica_key_and_the_secret_replica_key() -> None:
    result = _scan(RDS)
    assert not _incomplete(result)
    keys = _keys(result)
    replica = keys["module.assessments_replica.aws_db_instance.this"]
    assert replica["key"] == "aws_kms_key.assessments_replica" and replica["location"]["region"] == "eu-west-1"
    reporting = keys["module.assessments_reporting.aws_db_instance.this"]
    assert reporting["key"] == "aws_kms_key.assessments" and any("as its source" in h for h in reporting["how"])
    (copy,) = keys["aws_secretsmanager_secret.db_credentials"]["copies"]
    assert copy["region"] == "us-east-1" and copy["multi_region"] is True
    assert copy["location"]["country"] == "US"


# --- the JSON result -------------------------------------------------------------------------------------------


def test_the_key_object_round_trips_and_old_results_still_load() -> None:
    result = _scan(RDS)
    assert misshapen(result) is None
    inventory = inventory_of(result, "rds.json")
    secret = inventory.resource("aws_secretsmanager_secret.db_credentials")
    assert secret is not None and secret.encryption is not None
    assert secret.encryption.key_kind is KeyKind.CUSTOMER
    assert secret.encryption.copies[0].encryption.multi_region
    from scanner.reporters.json_report import key_json
    assert key_json(secret.encryption) == _keys(result)["aws_secretsmanager_secret.db_credentials"]
    for resource in result["inventory"]["resources"]:
        resource.pop("key")
    old = inventory_of(result, "old.json")
    assert all(r.encryption is None for r in old.resources)


def test_a_misshapen_key_is_refused() -> None:
    result = _scan(RDS)
    for resource in result["inventory"]["resources"]:
        if resource["key"]:
            resource["key"]["kind"] = "borrowed"
            break
    assert "kind" in (misshapen(result) or "")


# --- the evidence pack -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_pack() -> Any:
    return build_pack([_scan(S3)], PackContext())


def test_the_custody_table_shows_the_us_east_1_customer_key_of_the_replica(s3_pack: Any) -> None:
    rows = {c.copy: c for c in s3_pack.custody}
    row = rows["module.evidence_replica.aws_s3_bucket.this"]
    assert row.encrypted.startswith("yes, customer-managed")
    assert row.key == "aws_kms_key.evidence_replica"
    assert row.key_location.startswith("outside the UK (aws us-east-1, US)")
    assert "customer" in row.held_by


def test_the_custody_table_has_no_rows_for_keys_or_networks() -> None:
    result = _scan(RDS)
    pack = build_pack([result], PackContext())
    names = {c.copy for c in pack.custody}
    assert not any("aws_kms_key" in name for name in names)
    secret = next(c for c in pack.custody if "secretsmanager" in c.copy)
    assert secret.key.endswith("mrk-1234abcd12ab34cd56ef1234567890ab") and "multi-Region" in secret.key_location
    # A hosted key abroad is still a place DWP resources are (2.3), but no custody row.
    for resource in result["inventory"]["resources"]:
        if resource["id"] == "aws_kms_key.assessments_replica":
            resource["dwp"] = True
    pack = build_pack([result], PackContext())
    # Said as where a key is held (with what it protects, if a DWP resource names it), not as DWP data hosted.
    assert any(i.name.startswith("aws_kms_key.assessments_replica") for i in pack.offshore_items)
    assert not any(c.copy.startswith("aws_kms_key.assessments_replica") for c in pack.custody)
