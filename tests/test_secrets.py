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
