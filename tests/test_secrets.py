"""No secret in any report: an estate full of credentials, scanned in every format, prints none of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.redaction import REDACTED, redact
from scanner.reporters import FORMATS

SECRETS = {
    "db": "Hunter2-db-password-0001",
    "dd": "0123456789abcdef0123456789abcdef",
    "token": "plain-token-value-0003",
    "sensitive": "marked-sensitive-value-0004",
    "akia": "AKIAABCDEFGHIJKLMNOP",
    "storage": "c2VjcmV0LXN0b3JhZ2Uta2V5LTAwMDU=",
    "dsn": "5f3c0ffee0000000000000000000dead",
}

MAIN_TF = """
provider "aws" {{
  region = "eu-west-2"
}}

variable "db_password" {{
  default = "{db}"
}}

variable "dd_api_key" {{
  type = string
}}

variable "opaque" {{
  sensitive = true
  default   = "{sensitive}"
}}

resource "aws_lambda_function" "claims" {{
  function_name = "claims"
  role          = "arn:aws:iam::111122223333:role/claims"
  tags          = {{ Classification = "OFFICIAL" }}
  environment {{
    variables = {{
      DD_SITE            = "datadoghq.eu"
      DD_API_KEY         = var.dd_api_key
      DB_PASSWORD        = var.db_password
      SERVICE_TOKEN      = "{token}"
      OPAQUE             = var.opaque
      AWS_ACCESS_KEY_ID  = "{akia}"
      STORAGE            = "DefaultEndpointsProtocol=https;AccountName=x;AccountKey={storage}"
      SENTRY_DSN         = "https://{dsn}@o123.ingest.sentry.io/456"
    }}
  }}
}}
"""


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_secret_of_the_estate_reaches_any_report(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF.format(**SECRETS))
    (tmp_path / "terraform.tfvars").write_text(f'dd_api_key = "{SECRETS["dd"]}"\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", output_format])
    assert result.exit_code == 1, result.output  # the Datadog EU site is still found
    assert "datadoghq.eu" in result.output
    for name, secret in SECRETS.items():
        assert secret not in result.output, f"{name} secret printed in {output_format}"


@pytest.mark.parametrize(("text", "kept"), [
    ('var.db_password = "x1" (default, main.tf:3)', 'var.db_password = (sensitive) (default, main.tf:3)'),
    ("aws_lambda_function.f environment.variables.API_KEY = 'k' (main.tf:9)",
     "aws_lambda_function.f environment.variables.API_KEY = (sensitive) (main.tf:9)"),
    ("var.region = \"eu-west-2\" (default)", "var.region = \"eu-west-2\" (default)"),
    ("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKey=abc", "Endpoint=sb://x.servicebus.windows.net/;"
                                                                    f"SharedAccessKey={REDACTED}"),
])
def test_redaction_keeps_what_decides_and_drops_what_is_secret(text: str, kept: str) -> None:
    assert redact(text) == kept


SECRET_ARN = "arn:aws:secretsmanager:eu-west-2:111122223333:secret:claims-db-AbCdEf"


@pytest.mark.parametrize(("text", "identifiers", "kept"), [
    # An ARN names a resource: its colons are not `NAME: VALUE`, whatever words it holds.
    (f"{SECRET_ARN} is hosted in aws eu-west-2", (), f"{SECRET_ARN} is hosted in aws eu-west-2"),
    (f"Secrets Manager replica of {SECRET_ARN}: eu-central-1", (), f"Secrets Manager replica of {SECRET_ARN}: "
                                                                   "eu-central-1"),
    # A setting that names a secret by its ARN says where the secret is, not what it is.
    (f'var.db_secret_arn = "{SECRET_ARN}" (default)', (), f'var.db_secret_arn = "{SECRET_ARN}" (default)'),
    # The report's own resources keep their names when a message labels them ...
    ("aws_secretsmanager_secret.api_token: location not established", ("aws_secretsmanager_secret.api_token",),
     "aws_secretsmanager_secret.api_token: location not established"),
    ("Secret/claims/db-password: mounted by Deployment/claims/api", ("Secret/claims/db-password",),
     "Secret/claims/db-password: mounted by Deployment/claims/api"),
    # ... but a value assigned to something secret-named still goes, even when a resource begins the name.
    ('aws_ssm_parameter.db_password = "hunter2"', ("aws_ssm_parameter.db_password",),
     f"aws_ssm_parameter.db_password = {REDACTED}"),
    ('aws_ssm_parameter.db_password.value = "hunter2"', ("aws_ssm_parameter.db_password",),
     f"aws_ssm_parameter.db_password.value = {REDACTED}"),
    (f"token: hunter2 for {SECRET_ARN}", (), f"token: {REDACTED} for {SECRET_ARN}"),
    ("https://key:pw@o1.ingest.sentry.io/2", ("aws_lambda_function.f",), f"https://{REDACTED}@o1.ingest.sentry.io/2"),
])
def test_resource_names_are_never_redacted_and_secret_values_still_are(text: str, identifiers: tuple[str, ...],
                                                                        kept: str) -> None:
    assert redact(text, frozenset(identifiers)) == kept


LIVE_SECRET_TF = """
provider "aws" {{
  region = var.region
}}

variable "region" {{
  type = string
}}

variable "api_token_value" {{
  default = "{token}"
}}

resource "aws_secretsmanager_secret" "api_token" {{
  name = "claims-api-token"
  tags = {{ Classification = "OFFICIAL-SENSITIVE" }}
}}

resource "aws_secretsmanager_secret_version" "api_token" {{
  secret_id     = aws_secretsmanager_secret.api_token.id
  secret_string = var.api_token_value
}}
"""


MESSAGE_FORMATS = ("text", "json", "sarif", "junit")
"""Formats that print each finding's message (the evidence pack tabulates resources instead)."""


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_secret_resource_is_named_in_every_report_and_its_value_is_not(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "main.tf").write_text(LIVE_SECRET_TF.format(token=SECRETS["token"]))
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", output_format, "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert SECRETS["token"] not in result.output
    assert "aws_secretsmanager_secret.api_token" in result.output
    assert f"{REDACTED} not established" not in result.output
    if output_format in MESSAGE_FORMATS:
        # The location is unknown (the region is a variable with no value): the message names the secret resource.
        # Words, not lines: the text report wraps long messages.
        assert "aws_secretsmanager_secret.api_token: location not established" in " ".join(result.output.split())


def test_live_findings_name_secrets_manager_arns_whole() -> None:
    from providers.aws.records import Scope, live_record
    from providers.interface import ScanOptions
    from providers.semantics.normalise import to_inventory
    from scanner.engine import evaluate
    from scanner.redaction import redact_findings, redact_inventory

    values = {"name": "claims-db", "tags": {"Classification": "OFFICIAL-SENSITIVE"},
              "replica": [{"region": "eu-central-1"}], "policy": None}
    record = live_record(Scope("111122223333", "eu-west-2"), SECRET_ARN, "aws_secretsmanager_secret", values,
                         "secretsmanager:DescribeSecret")
    inventory = to_inventory([record], ScanOptions())
    [replica] = [f for f in redact_findings(evaluate(inventory)) if f.rule_id == "OFS-REPL-001"]
    assert SECRET_ARN in replica.message and REDACTED not in replica.message
    assert all(REDACTED not in step for step in (*replica.location.provenance, *replica.evidence))
    [flow] = redact_inventory(inventory).flows
    assert SECRET_ARN in flow.description or SECRET_ARN in " ".join(flow.target.provenance)
    assert REDACTED not in flow.description + " ".join(flow.target.provenance)
