"""Region names to countries: the UK regions, the look-alikes that are not, and the data file's own consistency."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from providers.semantics.geography import (
    Place,
    aws_region_of_arn,
    aws_service_kind,
    azure_paired_region,
    is_uk,
    normalise_azure_location,
    place_region,
)

DATA = Path(__file__).resolve().parent.parent / "providers" / "semantics" / "data" / "regions.yaml"
REGION_SECTIONS = ("aws", "azure", "gcp", "gcp_multi_regions")


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """The YAML read on its own, so the checks below do not trust the loader they test."""
    loaded = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# --- the UK regions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "name", "region"),
    [
        ("aws", "eu-west-2", "eu-west-2"),
        ("aws", "EU-WEST-2", "eu-west-2"),
        ("aws", " eu-west-2 ", "eu-west-2"),
        ("azure", "uksouth", "uksouth"),
        ("azure", "ukwest", "ukwest"),
        ("azure", "UK South", "uksouth"),
        ("azure", "UK West", "ukwest"),
        ("azure", "uk", "uk"),
        ("gcp", "europe-west2", "europe-west2"),
        ("gcp", "EUROPE-WEST2", "europe-west2"),
    ],
)
def test_uk_regions_are_uk(cloud: str, name: str, region: str) -> None:
    place = place_region(cloud, name)
    assert place == Place(
        cloud=cloud, region=region, country="GB", uk=True, known=True, note=None, members=place.members
    )
    assert is_uk(cloud, name)


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_gb_entries_are_exactly_the_uk_regions(data: dict[str, Any], cloud: str) -> None:
    expected = {"aws": {"eu-west-2"}, "azure": {"uksouth", "ukwest", "uk"}, "gcp": {"europe-west2"}}[cloud]
    assert {name for name, body in data[cloud].items() if body["country"] == "GB"} == expected


def test_no_multi_region_is_gb(data: dict[str, Any]) -> None:
    assert all(body["country"] != "GB" for body in data["gcp_multi_regions"].values())


# --- look-alikes that are not the UK ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "name", "country"),
    [
        ("aws", "eu-west-1", "IE"),
        ("aws", "eu-west-3", "FR"),
        ("aws", "eu-central-1", "DE"),
        ("aws", "eu-central-2", "CH"),
        ("aws", "eu-north-1", "SE"),
        ("aws", "eu-south-1", "IT"),
        ("aws", "eu-south-2", "ES"),
        ("aws", "ap-east-2", "TW"),
        ("aws", "ap-southeast-5", "MY"),
        ("aws", "ap-southeast-6", "NZ"),
        ("aws", "ap-southeast-7", "TH"),
        ("aws", "mx-central-1", "MX"),
        ("aws", "ca-west-1", "CA"),
        ("aws", "us-east-1", "US"),
        ("aws", "us-gov-west-1", "US"),
        ("aws", "us-iso-east-1", "US"),
        ("aws", "us-iso-west-1", "US"),
        ("aws", "us-isob-east-1", "US"),
        ("aws", "us-isof-south-1", "US"),
        ("aws", "cn-north-1", "CN"),
        ("aws", "eusc-de-east-1", "DE"),
        ("azure", "northeurope", "IE"),
        ("azure", "North Europe", "IE"),
        ("azure", "West Europe", "NL"),
        ("azure", "norwayeast", "NO"),
        ("azure", "usgovvirginia", "US"),
        ("azure", "chinanorth3", "CN"),
        ("azure", "eastus2euap", "US"),
        ("azure", "unitedstates", "US"),
        ("azure", "europe", "EU"),
        ("gcp", "europe-west1", "BE"),
        ("gcp", "europe-west3", "DE"),
        ("gcp", "europe-north2", "SE"),
        ("gcp", "northamerica-south1", "MX"),
        ("gcp", "me-central2", "SA"),
    ],
)
def test_non_uk_regions(cloud: str, name: str, country: str) -> None:
    place = place_region(cloud, name)
    assert (place.country, place.uk, place.known) == (country, False, True)
    assert not is_uk(cloud, name)


def test_ireland_is_called_out() -> None:
    for cloud, name in (("aws", "eu-west-1"), ("azure", "northeurope")):
        note = place_region(cloud, name).note
        assert note is not None
        assert "Ireland" in note


@pytest.mark.parametrize("name", ["eu-isoe-west-1", "EU-ISOE-WEST-1", "eu-isoe-west-1a", "aws-iso-e-global"])
def test_aws_iso_e_is_unresolved_not_uk(name: str) -> None:
    place = place_region("aws", name)
    assert (place.known, place.uk, place.country) == (True, False, None)
    assert place.note == "aws-iso-e partition (cloud.adc-e.uk): UK hosting unconfirmed"


# --- zones and AZ IDs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "region", "uk"),
    [
        ("eu-west-2a", "eu-west-2", True),
        ("eu-west-2c", "eu-west-2", True),
        ("EU-WEST-2B", "eu-west-2", True),
        ("eu-west-2-wl1-lon-wlz-1", "eu-west-2", True),
        ("eu-west-2-wl1-man-wlz-1", "eu-west-2", True),
        ("euw2-az1", "eu-west-2", True),
        ("euw2-az3", "eu-west-2", True),
        ("euw2-wl1-lon-wlz1", "eu-west-2", True),
        ("eu-west-1a", "eu-west-1", False),
        ("euw1-az2", "eu-west-1", False),
        ("us-east-1-bos-1a", "us-east-1", False),
        ("use1-bos1-az1", "us-east-1", False),
        ("ap-southeast-2-per-1a", "ap-southeast-2", False),
        ("apse2-az1", "ap-southeast-2", False),
        ("usgw1-az1", "us-gov-west-1", False),
        ("cnnw1-az1", "cn-northwest-1", False),
    ],
)
def test_aws_zones_map_to_their_parent_region(name: str, region: str, uk: bool) -> None:
    place = place_region("aws", name)
    assert (place.region, place.uk, place.known) == (region, uk, True)


def test_aws_local_zone_note_warns_that_the_country_is_the_parents() -> None:
    note = place_region("aws", "us-east-1-bue-1a").note
    assert note is not None
    assert "Local/Wavelength Zone of us-east-1" in note


@pytest.mark.parametrize(
    ("name", "region", "uk"),
    [
        ("europe-west2-a", "europe-west2", True),
        ("europe-west2-c", "europe-west2", True),
        ("europe-west1-b", "europe-west1", False),
        ("us-central1-f", "us-central1", False),
    ],
)
def test_gcp_zones_map_to_their_region(name: str, region: str, uk: bool) -> None:
    place = place_region("gcp", name)
    assert (place.region, place.uk, place.known) == (region, uk, True)


# --- Azure names and pairs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("UK South", "uksouth"),
        ("uk south", "uksouth"),
        ("UKSOUTH", "uksouth"),
        ("West Europe", "westeurope"),
        ("  North  Europe ", "northeurope"),
        ("East US 2", "eastus2"),
        ("Australia Central 2", "australiacentral2"),
        ("uksouth", "uksouth"),
    ],
)
def test_normalise_azure_location(name: str, normal: str) -> None:
    assert normalise_azure_location(name) == normal
    assert place_region("azure", name).region == normal


@pytest.mark.parametrize(
    ("location", "pair"),
    [
        ("uksouth", "ukwest"),
        ("ukwest", "uksouth"),
        ("UK South", "ukwest"),
        ("northeurope", "westeurope"),
        ("westeurope", "northeurope"),
        ("eastus", "westus"),
        ("eastus2", "centralus"),
        ("brazilsouth", "southcentralus"),
        ("westindia", "southindia"),
        ("westus3", "eastus"),
    ],
)
def test_azure_pairs(location: str, pair: str) -> None:
    assert azure_paired_region(location) == pair


def test_one_way_pairs_do_not_come_back() -> None:
    assert azure_paired_region("southcentralus") == "northcentralus"
    assert azure_paired_region("southindia") == "centralindia"


@pytest.mark.parametrize(
    "location",
    [
        "italynorth",
        "polandcentral",
        "israelcentral",
        "qatarcentral",
        "mexicocentral",
        "spaincentral",
        "newzealandnorth",
        "chilecentral",
        "indonesiacentral",
        "malaysiawest",
        "belgiumcentral",
        "austriaeast",
        "denmarkeast",
        "global",
        "nowhere",
        "",
    ],
)
def test_unpaired_or_unknown_azure_locations_have_no_pair(location: str) -> None:
    assert azure_paired_region(location) is None


def test_azure_global_is_known_but_not_a_country() -> None:
    place = place_region("azure", "Global")
    assert (place.region, place.country, place.uk, place.known) == ("global", None, False, True)
    assert place.note is not None
    assert place.note.startswith("Azure global service")


def test_azure_uk_geography_members() -> None:
    place = place_region("azure", "uk")
    assert place.uk
    assert place.members == ("uksouth", "ukwest")


# --- GCP multi- and dual-regions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "region", "country"),
    [
        ("EU", "EU", "EU"),
        ("eu", "EU", "EU"),
        ("US", "US", "US"),
        ("us", "US", "US"),
        ("ASIA", "ASIA", None),
        ("asia", "ASIA", None),
        ("ASIA1", "ASIA1", "JP"),
        ("eur4", "EUR4", "EU"),
        ("EUR5", "EUR5", None),
        ("EUR7", "EUR7", None),
        ("eur8", "EUR8", None),
        ("NAM4", "NAM4", "US"),
        ("global", "global", None),
    ],
)
def test_gcp_multi_regions_are_not_uk(name: str, region: str, country: str | None) -> None:
    place = place_region("gcp", name)
    assert (place.region, place.country, place.uk, place.known) == (region, country, False, True)
    assert place.note


def test_gcp_eu_multi_region_excludes_the_uk() -> None:
    place = place_region("gcp", "EU")
    assert place.note == "GCP multi-region EU: copies across EU member states, not the UK"
    assert len(place.members) == 27
    assert "GB" not in place.members
    assert "IE" in place.members


@pytest.mark.parametrize("name", ["EUR5", "EUR7"])
def test_dual_regions_with_a_london_half_are_still_not_uk(name: str) -> None:
    place = place_region("gcp", name)
    assert "europe-west2" in place.members
    assert len(place.members) == 2
    assert not place.uk


# --- unknown names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "name", "label"),
    [
        ("aws", "xx-foo-1", "AWS"),
        ("aws", "eu-west-9", "AWS"),
        ("aws", "london", "AWS"),
        ("aws", "eu-west-2x-1", "AWS"),
        ("aws", "zzz9-az1", "AWS"),
        ("azure", "uknorth", "Azure"),
        ("azure", "Mars Central", "Azure"),
        ("gcp", "europe-west99", "GCP"),
        ("gcp", "europe-west2+europe-west1", "GCP"),
        ("gcp", "uk", "GCP"),
    ],
)
def test_unknown_names_are_outside_the_uk_with_a_note(cloud: str, name: str, label: str) -> None:
    place = place_region(cloud, name)
    assert (place.known, place.uk, place.country, place.members) == (False, False, None, ())
    assert place.note is not None
    assert label in place.note
    assert "treated as outside the UK" in place.note


def test_unknown_aws_note_names_the_region() -> None:
    assert place_region("aws", "xx-foo-1").note == "unknown AWS region 'xx-foo-1': treated as outside the UK"


@pytest.mark.parametrize(("cloud", "name"), [("aws", ""), ("azure", "   "), ("oci", "uk-london-1"), ("", "eu-west-2")])
def test_empty_names_and_unknown_clouds_never_raise(cloud: str, name: str) -> None:
    place = place_region(cloud, name)
    assert (place.known, place.uk, place.country) == (False, False, None)
    assert place.note


def test_place_is_frozen() -> None:
    place = place_region("aws", "eu-west-2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        place.uk = False  # type: ignore[misc]


# --- ARNs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "region"),
    [
        ("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1"),
        ("arn:aws:rds:eu-west-2:123456789012:db:main", "eu-west-2"),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:*", "us-east-1"),
        ("arn:aws-us-gov:sqs:us-gov-west-1:123456789012:queue", "us-gov-west-1"),
        ("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t", "cn-north-1"),
        ("arn:aws:s3:::my-bucket", None),
        ("arn:aws:s3:::my-bucket/key/with:colon", None),
        ("arn:aws:iam::123456789012:role/admin", None),
        ("arn:aws:cloudfront::123456789012:distribution/E1", None),
        ("", None),
        ("not-an-arn", None),
        ("arn:aws:kms:eu-west-1", None),
        ("arn::kms:eu-west-1:1:key/x", None),
        ("arn:aws:kms:eu-west-1:1:", None),
        ("urn:aws:kms:eu-west-1:1:key/x", None),
    ],
)
def test_aws_region_of_arn(arn: str, region: str | None) -> None:
    assert aws_region_of_arn(arn) == region


# --- global AWS services ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "kind"),
    [
        ("aws_cloudfront_distribution", "global-edge"),
        ("aws_cloudfront_function", "global-edge"),
        ("aws_globalaccelerator_accelerator", "global-edge"),
        ("aws_iam_role", "global-control-plane"),
        ("aws_iam_policy", "global-control-plane"),
        ("aws_route53_zone", "global-control-plane"),
        ("aws_route53_record", "global-control-plane"),
        ("aws_route53recoverycontrolconfig_cluster", "global-control-plane"),
        ("aws_organizations_policy", "global-control-plane"),
        ("aws_rolesanywhere_trust_anchor", "global-control-plane"),
        ("aws_waf_web_acl", "global-control-plane"),
        ("aws_shield_protection", "global-control-plane"),
        ("aws_networkmanager_core_network", "global-control-plane"),
        ("aws_budgets_budget", "global-control-plane"),
        ("aws_ce_anomaly_monitor", "global-control-plane"),
        ("aws_cur_report_definition", "global-control-plane"),
        ("aws_account_alternate_contact", "global-control-plane"),
        ("aws_dx_gateway", "global-control-plane"),
        ("aws_s3_bucket", "regional"),
        ("aws_dx_gateway_association", "regional"),
        ("aws_wafv2_web_acl", "regional"),
        ("aws_wafregional_web_acl", "regional"),
        ("aws_route53_resolver_endpoint", "regional"),
        ("aws_route53_resolver_query_log_config", "regional"),
        ("aws_kms_key", "regional"),
        ("aws_db_instance", "regional"),
        ("AWS_IAM_ROLE", "global-control-plane"),
    ],
)
def test_aws_service_kind(resource_type: str, kind: str) -> None:
    assert aws_service_kind(resource_type) == kind


# --- the data file itself ---------------------------------------------------------------------


def test_every_azure_pair_target_is_a_known_azure_region(data: dict[str, Any]) -> None:
    for region, target in data["azure_pairs"].items():
        assert region in data["azure"], region
        assert target in data["azure"], target
        assert data["azure"][target].get("kind") is None, f"{target} is a geography, not a region"
        assert place_region("azure", target).known


def test_azure_pairs_cross_borders_only_where_microsoft_says(data: dict[str, Any]) -> None:
    crossing = {
        (region, target)
        for region, target in data["azure_pairs"].items()
        if data["azure"][region]["country"] != data["azure"][target]["country"]
    }
    # Europe (Ireland <-> Netherlands) and Asia (Hong Kong <-> Singapore) are multi-country
    # geographies; Brazil South is the catalogue's one pair that leaves its geography.
    assert crossing == {
        ("northeurope", "westeurope"),
        ("westeurope", "northeurope"),
        ("eastasia", "southeastasia"),
        ("southeastasia", "eastasia"),
        ("brazilsouth", "southcentralus"),
    }


def test_uk_regions_pair_only_with_each_other(data: dict[str, Any]) -> None:
    uk = {name for name, body in data["azure"].items() if body["country"] == "GB" and not body.get("kind")}
    assert uk == {"uksouth", "ukwest"}
    for region, target in data["azure_pairs"].items():
        assert (region in uk) == (target in uk), (region, target)


@pytest.mark.parametrize("section", REGION_SECTIONS)
def test_every_entry_has_a_country_code_or_an_explained_null(data: dict[str, Any], section: str) -> None:
    for name, body in data[section].items():
        country = body["country"]
        if country is None:
            assert body.get("note"), f"{section}.{name}: null country without a note"
        else:
            assert isinstance(country, str), f"{section}.{name}: {country!r} (unquoted NO?)"
            assert re.fullmatch(r"[A-Z]{2}", country), f"{section}.{name}: {country!r}"


@pytest.mark.parametrize("section", ["aws", "azure", "gcp"])
def test_every_entry_places_as_its_data_says(data: dict[str, Any], section: str) -> None:
    for name, body in data[section].items():
        place = place_region(section, name)
        assert place.known, name
        assert place.region == name
        assert place.country == body["country"]
        assert place.uk == (body["country"] == "GB")


def test_names_are_already_normalised(data: dict[str, Any]) -> None:
    for name in data["aws"]:
        assert name == name.lower().strip()
    for name in data["azure"]:
        assert name == normalise_azure_location(name)
    for name in data["gcp"]:
        assert name == name.lower().strip()


def test_members_name_known_places(data: dict[str, Any]) -> None:
    for name, body in data["gcp_multi_regions"].items():
        for member in body.get("members", []):
            if body["kind"] == "dual-region":
                assert member in data["gcp"], f"{name}: {member}"
                assert body["country"] in {None, data["gcp"][member]["country"], "EU"}
            else:
                assert re.fullmatch(r"[A-Z]{2}", member), f"{name}: {member}"
    for name, body in data["azure"].items():
        for member in body.get("members", []):
            assert member in data["azure"], f"{name}: {member}"


def test_every_aws_region_has_a_partition(data: dict[str, Any]) -> None:
    partitions = {body["partition"] for body in data["aws"].values()}
    assert partitions == {"aws", "aws-cn", "aws-us-gov", "aws-eusc", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"}


def test_global_type_lists_are_prefixes_of_aws_types(data: dict[str, Any]) -> None:
    sections = (
        "aws_global_edge_prefixes",
        "aws_global_control_plane_prefixes",
        "aws_global_control_plane_types",
        "aws_regional_exceptions",
    )
    for section in sections:
        assert data[section], section
        for item in data[section]:
            assert item.startswith("aws_"), item
