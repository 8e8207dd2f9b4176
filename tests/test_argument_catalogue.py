"""The argument catalogue: its generator's parsing of provider documentation, and the committed file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from providers.semantics import catalogue_generator as generator
from providers.semantics.argument_catalogue import ROLES, TypeArguments, argument_catalogue, catalogue_sources

CATALOGUE = Path(generator.__file__).with_name("resource_map") / "arguments.yaml"

# Shapes of the three providers' pages, written for these tests.
AWS_PAGE = """\
# Resource: aws_widget_copy

## Example Usage

```terraform
resource "aws_widget_copy" "example" {
  # * `not_an_argument` - inside a code block
}
```

## Argument Reference

This resource supports the following arguments:

* `name` - (Required) Name of the widget.
* `rule` - (Required) Rules of the copy. [See below](#rule).
* `location` - (Optional) S3 path of the widget's files.

### rule

The `rule` configuration block supports the following arguments:

* `destination` - (Required) Where the copy goes. [See below](#destination).
* `source_selection_criteria` - (Optional) Which objects are copied.
* `target_percentage` - (Optional) Percentage of objects copied.

### destination

The `destination` configuration block supports the following arguments:

* `bucket` - (Required) ARN of the destination bucket.
* `account` - (Optional) Account that owns the copy.
* `storage_class` - (Optional) Storage class of the copy.
* `region` - (Optional) Region of the copy.

## Attribute Reference

This resource exports the following attributes in addition to the arguments above:

* `arn` - ARN of the widget.
* `endpoint` - Endpoint of the widget.
"""

AZURERM_PAGE = """\
# azurerm_widget_database

## Arguments Reference

The following arguments are supported:

* `name` - (Required) The name of the Database.

* `server_id` - (Required) The ID of the Server on which to create the Database.

* `create_mode` - (Optional) The create mode of the database.

* `import` - (Optional) An `import` block as defined below.

* `peer_settings` - (Optional) A `peer_settings` block as defined below.

---

An `import` block supports the following:

* `storage_uri` - (Required) The URI of the file to import.

* `source_server_id` - (Optional) The ID of the server the data comes from.

---

A `peer_settings` block supports the following:

* `remote_virtual_network_id` - (Required) The ID of the remote network.

## Attributes Reference

* `id` - The ID of the Database.

* `replica_location` - The location of its replica.
"""

GOOGLE_PAGE = """\
# google_widget_table

## Argument Reference

The following arguments are supported:


* `dataset_id` -
  (Required)
  The dataset ID to create the table in.

* `table_id` -
  (Required)
  A unique ID for the resource.

- - -


* `replication` -
  (Optional)
  Replication of the table.
  Structure is [documented below](#nested_replication).

* `state` -
  (Output)
  The state of the table.


<a name="nested_replication"></a>The `replication` block supports:

* `source_table_id` -
  (Required)
  The ID of the table copied.

* `replica_zones` -
  (Optional)
  The zones of the replica.

## Attributes Reference

* `self_link` - The URI of the created resource.
"""

AZAPI_PAGE = """\
# Microsoft.Widget/servers/databases - Widget Database

## Example Usage

```hcl
resource "azapi_resource" "server" {
  type      = "Microsoft.Widget/servers@2021-01-01"
  parent_id = azapi_resource.resourceGroup.id
  location  = var.location
  body = {
    properties = {
      version = "12.0"
    }
  }
}

resource "azapi_resource" "database" {
  type      = "Microsoft.Widget/servers/databases@2021-01-01"
  parent_id = azapi_resource.server.id
  name      = var.resource_name
  body = {
    properties = {
      createMode       = "Copy"
      sourceDatabaseId = azapi_resource.other.id
      replicas = [
        {
          targetRegion = "uksouth"
        },
      ]
    }
  }
}
```
"""


def _paths(markdown: str) -> dict[str, generator.PathArgument]:
    return {item.path: item for item in generator.argument_paths(generator.parse_sections(markdown))}


def test_nested_blocks_become_dotted_paths_and_attributes_are_not_arguments() -> None:
    paths = _paths(AWS_PAGE)
    assert {"name", "rule", "location", "rule.destination", "rule.destination.bucket"} <= paths.keys()
    assert "arn" not in paths and "endpoint" not in paths
    assert "not_an_argument" not in paths
    assert paths["rule.destination.bucket"].ancestors == ("rule", "destination")
    assert paths["rule"].is_block and not paths["name"].is_block
    assert paths["name"].description.startswith("(Required)")


def test_azurerm_sentence_blocks_and_google_anchored_blocks() -> None:
    azurerm = _paths(AZURERM_PAGE)
    assert {"import.storage_uri", "import.source_server_id", "peer_settings.remote_virtual_network_id"} <= set(azurerm)
    assert "replica_location" not in azurerm
    google = _paths(GOOGLE_PAGE)
    assert {"dataset_id", "table_id", "replication.source_table_id", "replication.replica_zones"} <= set(google)
    assert "state" not in google  # an (Output) field is an attribute
    assert "self_link" not in google
    assert google["dataset_id"].description.startswith("(Required)")


def test_roles_of_aws_page() -> None:
    roles = generator.catalogue_type("aws", "aws_widget_copy", AWS_PAGE).arguments
    assert roles["rule.destination"] == "destination"
    assert roles["rule.destination.bucket"] == "destination"
    assert roles["rule.destination.account"] == "destination"
    assert roles["rule.destination.region"] == "place"
    assert "location" not in roles  # described as a path: not a place
    assert "rule.destination.storage_class" not in roles
    assert "rule.source_selection_criteria" not in roles  # a filter, not a source
    assert "rule.target_percentage" not in roles  # a number, not a target
    assert "name" not in roles


def test_roles_of_azurerm_and_google_pages() -> None:
    azurerm = generator.catalogue_type("azurerm", "azurerm_widget_database", AZURERM_PAGE).arguments
    assert azurerm == {
        "create_mode": "create_mode",
        "import.source_server_id": "source",
        "import.storage_uri": "endpoint",
        "peer_settings.remote_virtual_network_id": "peer",
    }
    google = generator.catalogue_type("google", "google_widget_table", GOOGLE_PAGE).arguments
    assert google == {"replication.replica_zones": "place", "replication.source_table_id": "source"}


def test_name_rules() -> None:
    assert generator.name_role("destination_region") == "place"
    assert generator.name_role("peer_region") == "peer"
    assert generator.name_role("peer_vpc_id") == "peer"
    assert generator.name_role("createMode") == "create_mode"
    assert generator.name_role("log_analytics_workspace_id") == "destination"
    assert generator.name_role("replicate_source_db") == "source"
    assert generator.name_role("server_url") == "endpoint"
    assert generator.name_role("time_zone") is None
    assert generator.name_role("destination_cidr_block") is None
    assert generator.name_role("source_port_range") is None
    assert generator.name_role("target_capacity") is None
    assert generator.name_role("target_arn", "(Optional) Whether the target is enabled.") is None
    assert generator.name_role("output_location", "(Optional) S3 path of the query results.") == "destination"
    assert generator.contextual_role("log_bucket", "", ("logging",), "google_widget") == "destination"
    assert generator.contextual_role("transit_gateway_id", "", (), "aws_vpn_connection") == "peer"


def test_location_inheritance() -> None:
    assert generator.catalogue_type("aws", "aws_widget_copy", AWS_PAGE).located == "provider"
    aws_with_region = AWS_PAGE.replace("* `name` -", "* `region` - (Optional) Region.\n* `name` -")
    assert generator.catalogue_type("aws", "aws_widget_copy", aws_with_region).located == "own"
    assert generator.catalogue_type("azurerm", "azurerm_widget_database", AZURERM_PAGE).located == {"from": "server_id"}
    # Google: the described argument would win; here the first required `*_id` decides, not the type's own id.
    assert generator.catalogue_type("google", "google_widget_table", GOOGLE_PAGE).located == {"from": "dataset_id"}
    with_parent = AZURERM_PAGE.replace("* `name` -", "* `parent_id` - (Required) The parent.\n\n* `name` -")
    assert generator.catalogue_type("azurerm", "azurerm_widget_database", with_parent).located == {"from": "parent_id"}
    with_location = AZURERM_PAGE.replace("* `name` -", "* `location` - (Required) The Azure location.\n\n* `name` -")
    assert generator.catalogue_type("azurerm", "azurerm_widget_database", with_location).located == "own"
    nothing = "## Argument Reference\n\n* `name` - (Required) The name.\n"
    assert generator.catalogue_type("google", "google_widget", nothing).located == "none"


def test_azapi_example_bodies() -> None:
    found = generator.azapi_type(AZAPI_PAGE)
    assert found is not None
    name, entry = found
    assert name == "azapi_resource Microsoft.Widget/servers/databases"
    assert entry.located == {"from": "parent_id"}
    assert entry.arguments == {
        "properties.createMode": "create_mode",
        "properties.replicas.targetRegion": "place",
        "properties.sourceDatabaseId": "source",
    }


def test_changelog_version_and_type_names() -> None:
    changelog = "## 5.46.0 (Unreleased)\n\n## 5.45.0 (April 11, 2024)\n"
    assert generator.changelog_version(changelog) == "5.45.0"
    assert generator.changelog_version("## v2.12.0\n") == "2.12.0"
    assert generator.type_name("aws", "website/docs/r/s3_bucket.html.markdown") == "aws_s3_bucket"
    assert generator.type_name("google", "bigquery_table.html.markdown") == "google_bigquery_table"


def test_render_is_deterministic_and_sorted() -> None:
    types = {
        "google": {"google_widget_table": generator.catalogue_type("google", "google_widget_table", GOOGLE_PAGE)},
        "aws": {"aws_widget_copy": generator.catalogue_type("aws", "aws_widget_copy", AWS_PAGE)},
    }
    sources = {"aws": {"repository": "hashicorp/terraform-provider-aws", "commit": "0" * 40}}
    text = generator.render(sources, types)
    assert text == generator.render(sources, types)
    loaded = yaml.safe_load(text)
    assert list(loaded["catalogue"]) == ["aws_widget_copy", "google_widget_table"]
    assert loaded["catalogue"]["google_widget_table"]["located"] == {"from": "dataset_id"}


# --- the committed catalogue -------------------------------------------------------------------------------


def test_committed_catalogue_loads_sorted_with_sources() -> None:
    raw = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    assert "types" not in raw  # resource_map() would merge them into the resource map
    assert list(raw["catalogue"]) == sorted(raw["catalogue"])
    for entry in raw["catalogue"].values():
        assert list(entry["arguments"]) == sorted(entry["arguments"])
        assert set(entry["arguments"].values()) <= set(ROLES)
    sources = catalogue_sources()
    assert {"aws", "azurerm", "google"} <= set(sources)
    for source in sources.values():
        assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
        assert source["repository"].count("/") == 1
    assert CATALOGUE.stat().st_size < 3_500_000


def test_committed_catalogue_known_entries() -> None:
    catalogue = argument_catalogue()
    replication = catalogue["aws_s3_bucket_replication_configuration"]
    assert replication.arguments["rule.destination.bucket"] == "destination"
    assert replication.located in ("provider", "own")
    assert catalogue["azurerm_mssql_database"] == TypeArguments(
        "from", "server_id", catalogue["azurerm_mssql_database"].arguments,
        catalogue["azurerm_mssql_database"].encryption,
    )
    assert "kms_key_id" in catalogue["aws_db_instance"].encryption
    assert catalogue["google_bigquery_table"].located_from == "dataset_id"
    assert catalogue["google_pubsub_subscription"].located_from == "topic"
    assert catalogue["azurerm_storage_container"].located_from in ("storage_account_id", "storage_account_name")
    assert catalogue["azurerm_virtual_network_peering"].arguments["remote_virtual_network_id"] == "peer"
    assert catalogue["aws_vpc_peering_connection"].arguments["peer_region"] == "peer"
    assert catalogue["azurerm_storage_account"].located == "own"
    assert "log_analytics_workspace_id" in catalogue["azurerm_monitor_diagnostic_setting"].paths("destination")
    assert {entry.located for entry in catalogue.values()} <= {"own", "provider", "from", "none"}
