"""Benchmark: start-up time and scan throughput on a generated Terraform estate.

    python bench/bench_scan.py [--resources 2000] [--repeat 3]

Prints figures; asserts nothing. The estate is generated in a temporary directory: root modules
with providers, aliases, tfvars, locals and a local child module, and resources of the types the
resource map knows, half of them DWP-tagged.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_TYPES = [
    ('aws_s3_bucket', 'bucket = "b-{i}"'),
    ('aws_dynamodb_table', 'name = "t-{i}"\n  replica { region_name = var.dr_region }'),
    ('aws_sqs_queue', 'name = "q-{i}"'),
    ('aws_db_instance', 'identifier = "db-{i}"\n  instance_class = "db.t3.micro"'),
]


def generate(root: Path, resources: int, per_module: int = 100) -> int:
    """Write ``resources`` resources across root modules of ``per_module``; returns the file count."""
    files = 0
    for module_index in range(max(1, resources // per_module)):
        module = root / f"stack-{module_index:03d}"
        (module / "modules" / "store").mkdir(parents=True)
        (module / "providers.tf").write_text(
            'variable "dr_region" { default = "eu-west-2" }\n'
            'locals { tags = merge({ App = "claims" }, { Classification = "OFFICIAL" }) }\n'
            'provider "aws" { region = "eu-west-2" }\n'
            'provider "aws" {\n  alias = "dr"\n  region = var.dr_region\n}\n'
            'module "store" {\n  source = "./modules/store"\n  providers = { aws = aws.dr }\n  name = "s"\n}\n'
        )
        (module / "terraform.tfvars").write_text('dr_region = "us-east-1"\n')
        (module / "modules" / "store" / "main.tf").write_text(
            'variable "name" {}\nresource "aws_s3_bucket" "s" {\n  bucket = var.name\n}\n'
        )
        lines = []
        for i in range(per_module):
            type_name, body = _TYPES[i % len(_TYPES)]
            tags = "tags = local.tags" if i % 2 else 'tags = { Team = "platform" }'
            provider = "provider = aws.dr\n  " if i % 10 == 0 else ""
            lines.append(f'resource "{type_name}" "r{i}" {{\n  {provider}{body.replace("{i}", str(i))}\n  {tags}\n}}\n')
        (module / "main.tf").write_text("\n".join(lines))
        files += 3
    return files


def time_command(args: list[str], repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        timings.append(time.perf_counter() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    cli = [sys.executable, "-m", "scanner.cli"]
    help_times = time_command([*cli, "--help"], options.repeat)
    print(f"offshore-scan --help: median {statistics.median(help_times) * 1000:.0f} ms over {options.repeat} runs")
    demo = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
    demo_times = time_command([*cli, "scan", str(demo)], options.repeat)
    print(f"scan fixtures/demo:   median {statistics.median(demo_times) * 1000:.0f} ms over {options.repeat} runs")
    with tempfile.TemporaryDirectory() as directory:
        files = generate(Path(directory), options.resources)
        timings = time_command([*cli, "scan", directory, "--format", "json", "--fail-on", "never"], options.repeat)
        median = statistics.median(timings)
        print(
            f"scan generated estate: {options.resources} resources in {files} files, "
            f"median {median:.2f} s over {options.repeat} runs ({options.resources / median:.0f} resources/s)"
        )


if __name__ == "__main__":
    main()
