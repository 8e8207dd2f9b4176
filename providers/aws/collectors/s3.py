"""S3: where each bucket is, where it replicates, who its policy lets in, where its access logs, inventory reports
and storage class analysis exports go, and which key encrypts it by default (the key's custody).

Buckets are listed once per account (S3 has one namespace), but each bucket lives in a region: its
location is asked first, and its settings are read from a client in that region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Clients, Failed, Response
from providers.aws.collectors.shapes import blocks, policy_text
from providers.aws.records import Scope, live_record, tag_map
from providers.aws.session import HOME_REGION
from providers.semantics.records import ResourceRecord, Unknown

SERVICE = "s3"


@dataclass(frozen=True)
class BucketResponses:
    """Every answer about one bucket; ``None`` where AWS said "nothing configured", ``Failed`` where it said nothing."""

    name: str
    location: Response
    replication: Response = None
    policy: Response = None
    logging: Response = None
    tagging: Response = None
    inventory: Response = None
    analytics: Response = None
    encryption: Response = None
    settings_read: bool = True
    """False when only the location was asked (a bucket another resource's flow names)."""


def bucket_region(location: Mapping[str, Any]) -> str:
    """The region of a ``get_bucket_location`` answer (no constraint is us-east-1; ``EU`` is the old eu-west-1)."""
    constraint = location.get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def domain_names(name: str, region: Any) -> dict[str, str]:
    """The bucket's endpoints as the provider computes them (what a CloudFront origin names); the regional one
    only when the region is known."""
    names = {"bucket_domain_name": f"{name}.s3.amazonaws.com"}
    if isinstance(region, str):
        names["bucket_regional_domain_name"] = f"{name}.s3.{region}.amazonaws.com"
    return names


def fetch_bucket(clients: Clients, account: str, name: str, settings: bool, tags_known: bool) -> BucketResponses:
    """The location of a bucket and, when ``settings``, its replication, policy, logging (and tags when unknown)."""
    home = clients.get(account, HOME_REGION, SERVICE, scope_region="global")
    location = home.call("get_bucket_location", Bucket=name)
    if not settings or not isinstance(location, Mapping):
        return BucketResponses(name, location, settings_read=settings and not isinstance(location, Failed))
    regional = clients.get(account, bucket_region(location), SERVICE)
    return BucketResponses(
        name,
        location,
        replication=regional.call("get_bucket_replication", absent=("ReplicationConfigurationNotFoundError",),
                                  Bucket=name),
        policy=regional.call("get_bucket_policy", absent=("NoSuchBucketPolicy",), Bucket=name),
        logging=regional.call("get_bucket_logging", Bucket=name),
        tagging=None if tags_known else regional.call("get_bucket_tagging", absent=("NoSuchTagSet",), Bucket=name),
        inventory=regional.call("list_bucket_inventory_configurations", Bucket=name),
        analytics=regional.call("list_bucket_analytics_configurations", Bucket=name),
        encryption=regional.call("get_bucket_encryption", absent=("ServerSideEncryptionConfigurationNotFoundError",),
                                 Bucket=name),
    )


def translate_bucket(account: str, answers: BucketResponses, tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The bucket and its settings as records of the Terraform types that would create them."""
    name, arn = answers.name, f"arn:aws:s3:::{answers.name}"
    if isinstance(answers.location, Failed):
        region: Any = answers.location.unknown(f"the region of bucket {name}")
        how: tuple[str, ...] = ()
        scope = Scope(account, "global")
    else:
        region = bucket_region(answers.location or {})
        how = (f"s3:GetBucketLocation {name} = {region} (account {account})",)
        scope = Scope(account, region)
    known_tags = dict(tags) if tags is not None else _tags(answers.tagging)
    values: dict[str, Any] = {"bucket": name, "id": name, "tags": known_tags, **domain_names(name, region)}
    records = [live_record(scope, arn, "aws_s3_bucket", values, "s3:GetBucketLocation", region=region, how=how)]
    if not answers.settings_read:
        return records
    records.extend(_replication(scope, arn, name, answers.replication, region, how))
    records.extend(_policy(scope, arn, name, answers.policy, region, how))
    records.extend(_logging(scope, arn, name, answers.logging, region, how))
    records.extend(_inventories(scope, arn, name, answers.inventory, region, how))
    records.extend(_analytics(scope, arn, name, answers.analytics, region, how))
    records.extend(_encryption(scope, arn, name, answers.encryption, region, how))
    return records


def _tags(tagging: Response) -> Any:
    if isinstance(tagging, Failed):
        return tagging.unknown("the bucket's tags")
    return tag_map((tagging or {}).get("TagSet"))


def _replication(scope: Scope, arn: str, name: str, answer: Response, region: Any,
                 how: tuple[str, ...]) -> list[ResourceRecord]:
    if answer is None:
        return []
    if isinstance(answer, Failed):
        # Whether and where the bucket replicates is not known: one rule whose status and destination are unknown.
        unknown = answer.unknown(f"the replication of bucket {name}")
        rule: list[Any] = [{"status": unknown, "destination": [{"bucket": unknown}]}]
        role: Any = Unknown(f"the replication of bucket {name} could not be read")
    else:
        configuration = answer.get("ReplicationConfiguration") or {}
        rule = [blocks(r) for r in configuration.get("Rules") or []]
        role = configuration.get("Role")
    values = {"bucket": name, "role": role, "rule": rule}
    fields = {"rule.destination.bucket": "ReplicationConfiguration.Rules[].Destination.Bucket",
              "rule.status": "ReplicationConfiguration.Rules[].Status", "role": "ReplicationConfiguration.Role"}
    return [live_record(scope, arn, "aws_s3_bucket_replication_configuration", values, "s3:GetBucketReplication",
                        address=f"{arn}?replication", region=region, how=how, fields=fields)]


def _policy(scope: Scope, arn: str, name: str, answer: Response, region: Any,
            how: tuple[str, ...]) -> list[ResourceRecord]:
    if answer is None:
        return []
    policy = answer.unknown(f"the policy of bucket {name}") if isinstance(answer, Failed) else policy_text(
        answer.get("Policy"))
    return [live_record(scope, arn, "aws_s3_bucket_policy", {"bucket": name, "policy": policy}, "s3:GetBucketPolicy",
                        address=f"{arn}?policy", region=region, how=how)]


def _logging(scope: Scope, arn: str, name: str, answer: Response, region: Any,
             how: tuple[str, ...]) -> list[ResourceRecord]:
    if isinstance(answer, Failed):
        target: Any = answer.unknown(f"where bucket {name} writes its access logs")
        prefix: Any = None
    else:
        enabled = (answer or {}).get("LoggingEnabled")
        if not enabled:
            return []
        target, prefix = enabled.get("TargetBucket"), enabled.get("TargetPrefix")
    values = {"bucket": name, "target_bucket": target, "target_prefix": prefix}
    return [live_record(scope, arn, "aws_s3_bucket_logging", values, "s3:GetBucketLogging",
                        address=f"{arn}?logging", region=region, how=how,
                        fields={"target_bucket": "LoggingEnabled.TargetBucket"})]


def _configurations(answer: Response, key: str) -> list[Any]:
    return [c for c in (answer or {}).get(key) or [] if isinstance(c, Mapping) and c.get("Id")]


def _inventories(scope: Scope, arn: str, name: str, answer: Response, region: Any,
                 how: tuple[str, ...]) -> list[ResourceRecord]:
    """Each inventory configuration as ``aws_s3_bucket_inventory``: the bucket's object listing, written as a report
    to ``destination.bucket.bucket_arn`` (in ``account_id``). An unreadable list is one report to an unknown bucket."""
    if isinstance(answer, Failed):
        unknown = answer.unknown(f"where bucket {name} writes its inventory reports")
        configurations: list[Any] = [{"Id": "?", "Destination": {"S3BucketDestination": {"Bucket": unknown}}}]
    else:
        configurations = _configurations(answer, "InventoryConfigurationList")
    records = []
    for configuration in configurations:
        destination = (configuration.get("Destination") or {}).get("S3BucketDestination") or {}
        encryption = destination.get("Encryption") or {}
        values = {"bucket": name, "name": configuration["Id"], "enabled": configuration.get("IsEnabled"),
                  "included_object_versions": configuration.get("IncludedObjectVersions"),
                  "optional_fields": list(configuration.get("OptionalFields") or []),
                  "destination": [{"bucket": [{
                      "bucket_arn": destination.get("Bucket"), "account_id": destination.get("AccountId"),
                      "format": destination.get("Format"), "prefix": destination.get("Prefix"),
                      "encryption": [{"sse_kms": [{"key_id": encryption["SSEKMS"].get("KeyId")}]
                                      if isinstance(encryption.get("SSEKMS"), Mapping) else [],
                                      "sse_s3": [{}] if "SSES3" in encryption else []}] if encryption else []}]}]}
        fields = {"destination.bucket.bucket_arn":
                  "InventoryConfigurationList[].Destination.S3BucketDestination.Bucket",
                  "destination.bucket.account_id":
                  "InventoryConfigurationList[].Destination.S3BucketDestination.AccountId"}
        records.append(live_record(scope, arn, "aws_s3_bucket_inventory", values,
                                   "s3:ListBucketInventoryConfigurations",
                                   address=f"{arn}?inventory={configuration['Id']}", region=region, how=how,
                                   fields=fields))
    return records


def _analytics(scope: Scope, arn: str, name: str, answer: Response, region: Any,
               how: tuple[str, ...]) -> list[ResourceRecord]:
    """Each analytics configuration that exports (``StorageClassAnalysis.DataExport``) as
    ``aws_s3_bucket_analytics_configuration``; an unreadable list is one export to an unknown bucket."""
    if isinstance(answer, Failed):
        unknown = answer.unknown(f"where bucket {name} exports its storage class analysis")
        configurations: list[Any] = [{"Id": "?", "StorageClassAnalysis": {"DataExport": {"Destination": {
            "S3BucketDestination": {"Bucket": unknown}}}}}]
    else:
        configurations = _configurations(answer, "AnalyticsConfigurationList")
    records = []
    for configuration in configurations:
        export = (configuration.get("StorageClassAnalysis") or {}).get("DataExport")
        destination = ((export or {}).get("Destination") or {}).get("S3BucketDestination") or {}
        data_export = [{"output_schema_version": export.get("OutputSchemaVersion"), "destination": [{
            "s3_bucket_destination": [{"bucket_arn": destination.get("Bucket"),
                                       "bucket_account_id": destination.get("BucketAccountId"),
                                       "format": destination.get("Format"), "prefix": destination.get("Prefix")}]}]}
                       ] if isinstance(export, Mapping) else []
        values = {"bucket": name, "name": configuration["Id"],
                  "storage_class_analysis": [{"data_export": data_export}]}
        path = "storage_class_analysis.data_export.destination.s3_bucket_destination"
        answer_path = "AnalyticsConfigurationList[].StorageClassAnalysis.DataExport.Destination.S3BucketDestination"
        records.append(live_record(scope, arn, "aws_s3_bucket_analytics_configuration", values,
                                   "s3:ListBucketAnalyticsConfigurations",
                                   address=f"{arn}?analytics={configuration['Id']}", region=region, how=how,
                                   fields={f"{path}.bucket_arn": f"{answer_path}.Bucket",
                                           f"{path}.bucket_account_id": f"{answer_path}.BucketAccountId"}))
    return records


def _encryption(scope: Scope, arn: str, name: str, answer: Response, region: Any,
                how: tuple[str, ...]) -> list[ResourceRecord]:
    """The bucket's default encryption as ``aws_s3_bucket_server_side_encryption_configuration``: the key its new
    objects are encrypted under (key custody). None configured is S3's own default (SSE-S3), no record; an
    unreadable one is a rule whose algorithm and key are unknown, never that default."""
    if answer is None:
        return []
    if isinstance(answer, Failed):
        unknown = answer.unknown(f"the default encryption of bucket {name}")
        rules: list[Any] = [{"apply_server_side_encryption_by_default": [
            {"sse_algorithm": unknown, "kms_master_key_id": unknown}], "bucket_key_enabled": None}]
    else:
        rules = []
        configured = (answer.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        for rule in (r for r in configured if isinstance(r, Mapping)):
            default = rule.get("ApplyServerSideEncryptionByDefault")
            rules.append({"apply_server_side_encryption_by_default": [
                {"sse_algorithm": default.get("SSEAlgorithm"), "kms_master_key_id": default.get("KMSMasterKeyID")}]
                if isinstance(default, Mapping) else [], "bucket_key_enabled": rule.get("BucketKeyEnabled")})
    path, answer_path = "rule.apply_server_side_encryption_by_default", \
        "ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault"
    return [live_record(scope, arn, "aws_s3_bucket_server_side_encryption_configuration",
                        {"bucket": name, "rule": rules}, "s3:GetBucketEncryption", address=f"{arn}?encryption",
                        region=region, how=how, fields={f"{path}.sse_algorithm": f"{answer_path}.SSEAlgorithm",
                                                        f"{path}.kms_master_key_id": f"{answer_path}.KMSMasterKeyID"})]


def collect_buckets(clients: Clients, account: str, names: list[tuple[str, bool]],
                    tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Every bucket named, each ``(name, settings)``: settings for DWP buckets, location only for the rest."""
    records: list[ResourceRecord] = []
    for name, settings in names:
        known = tags.get(f"arn:aws:s3:::{name}")
        answers = fetch_bucket(clients, account, name, settings, tags_known=known is not None)
        records.extend(translate_bucket(account, answers, known))
    return records
