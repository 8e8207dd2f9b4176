"""Live Azure scan cost: ARM calls and wall time against the local ARM endpoint, for estates of growing size.

Builds one subscription of 2,000 storage accounts (200 DWP), scans it with ``offshore-scan azure`` (the real
CLI, the real SDK clients, HTTP to 127.0.0.1), and prints the requests, the requests per DWP resource, the ARM
calls per resource provider and the wall time; then the same with twice the non-DWP resources, with twice the
DWP ones, and with DWP resources of a type no collector reads (virtual machines: read whole by the generic
reader). Each estate is scanned twice: by the listings ("listing": the endpoint refuses Resource Graph, as one
the caller cannot use does) and by Resource Graph ("graph": one query gives every resource with its properties).

    python bench/bench_azure.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from azure_arm import TOKEN, ArmEndpoint  # noqa: E402

SUBSCRIPTION = "12345678-1234-1234-1234-123456789012"


def estate(total: int, dwp: int, machines: int = 0) -> dict[str, Any]:
    """Routes of one subscription with ``total`` storage accounts, ``dwp`` of them tagged as DWP, and ``machines``
    DWP virtual machines (a type read by the generic reader)."""
    subscription = f"/subscriptions/{SUBSCRIPTION}"
    routes: dict[str, Any] = {"/subscriptions": {"value": [
        {"id": subscription, "subscriptionId": SUBSCRIPTION, "tenantId": SUBSCRIPTION, "state": "Enabled"}]}}
    listed = []
    for index in range(total):
        account = f"{subscription}/resourceGroups/rg{index % 20}/providers/Microsoft.Storage/storageAccounts/a{index}"
        resource = {"id": account, "name": f"a{index}", "type": "Microsoft.Storage/storageAccounts",
                    "kind": "StorageV2", "location": "uksouth" if index % 3 else "westeurope",
                    "sku": {"name": "Standard_GRS"}}
        if index < dwp:
            resource["tags"] = {"Classification": "OFFICIAL-SENSITIVE"}
            routes[account.lower()] = {**resource, "properties": {"primaryLocation": resource["location"]}}
        listed.append(resource)
    for index in range(machines):
        machine = f"{subscription}/resourceGroups/vm{index % 20}/providers/Microsoft.Compute/virtualMachines/vm{index}"
        resource = {"id": machine, "name": f"vm{index}", "type": "Microsoft.Compute/virtualMachines",
                    "location": "uksouth", "tags": {"Classification": "OFFICIAL"}}
        routes[machine.lower()] = {**resource, "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}}
        listed.append(resource)
    routes[f"{subscription}/providers/microsoft.compute"] = {
        "id": f"{subscription}/providers/Microsoft.Compute", "namespace": "Microsoft.Compute",
        "resourceTypes": [{"resourceType": "virtualMachines", "apiVersions": ["2024-07-01"]}]}
    routes[f"{subscription}/resources".lower()] = {"value": listed}
    return routes


def scan(total: int, dwp: int, machines: int = 0, graph: bool = False) -> None:
    endpoint = ArmEndpoint(estate(total, dwp, machines), resource_graph=graph).start()
    try:
        environment = {**os.environ, "OFFSHORE_SCAN_AZURE_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "scanner.cli", "azure", "--arm-endpoint", endpoint.url,
                               "--format", "json", "--fail-on", "never", "--quiet"],
                              capture_output=True, text=True, env=environment, check=False)
        seconds = time.monotonic() - started
    finally:
        endpoint.close()
    if done.returncode == 2:
        sys.exit(f"the scan did not complete, so its figure means nothing: {done.stderr[-1000:]}")
    report = json.loads(done.stdout)
    requests = len(endpoint.seen)
    print(f"{'graph' if graph else 'listing':>7}: {total:>5} accounts ({dwp:>3} DWP), {machines:>3} DWP VMs: "
          f"{seconds:5.1f} s, {requests:>5} requests, {requests / (dwp + machines):.2f} per DWP resource, "
          f"calls {report['api_calls']}, {len(report['findings'])} findings")


if __name__ == "__main__":
    for graph in (False, True):
        scan(2000, 200, graph=graph)
        scan(4000, 200, graph=graph)
        scan(2000, 400, graph=graph)
        scan(2000, 200, 200, graph=graph)
