"""What cloud resources mean, written once for every input.

Adapters (``providers.terraform``, and the live readers) translate their raw shapes into
``ResourceRecord``s in the shared vocabulary (the Terraform provider schema); everything here turns
records into the scanner's ``Inventory``: where each resource is, which settings copy its data where,
who can reach it, where its diagnostics go, which network paths leave the UK, which guardrails hold.
This package imports no adapter (an import-linter contract in pyproject.toml says so).
"""
