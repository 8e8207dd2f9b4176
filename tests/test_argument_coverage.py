"""Every data-moving argument the providers document is modelled by the resource map or judged by the net.

The catalogue is generated from the providers' documentation; the map and the net are written by hand. This
keeps the two honest (``providers.semantics.map_coverage``).
"""

from __future__ import annotations

from providers.semantics import lineage, map_coverage
from providers.semantics.argument_catalogue import argument_catalogue


def test_every_catalogued_argument_is_modelled_or_netted() -> None:
    unjudged = sorted(
        f"{resource_type} {path} ({role})"
        for resource_type, entry in argument_catalogue().items()
        for path, role in entry.arguments.items()
        if map_coverage.judged(resource_type, path, role) == "unjudged"
    )
    assert not unjudged, "catalogued data-moving arguments neither modelled nor netted (add a map entry, widen " \
        f"a pattern in resource_map/lineage.yaml, or review them under not_netted): {unjudged[:40]}"


def test_every_reviewed_argument_is_still_in_the_catalogue() -> None:
    # A reviewed name the providers no longer document is a stale exemption.
    keys = {lineage.argument_key(path) for entry in argument_catalogue().values() for path in entry.arguments}
    assert not set(map_coverage.reviewed()) - keys


def test_an_argument_no_pattern_reads_is_unjudged() -> None:
    # The test above can fail: a name outside every pattern, and not reviewed, is caught.
    assert map_coverage.judged("aws_example_thing", "frobnication_level", "destination") == "unjudged"
    assert map_coverage.judged("aws_s3_bucket_replication_configuration", "rule.destination.bucket",
                               "destination") == "modelled"
    assert map_coverage.judged("azapi_resource Microsoft.Foo/bars", "properties.sourceResourceId", "source") == "netted"


def test_the_coverage_figures_add_up() -> None:
    counts = map_coverage.coverage()
    arguments = sum(n for (_, verdict), n in counts.items() if verdict in map_coverage.VERDICTS)
    assert arguments == sum(len(e.arguments) for e in argument_catalogue().values())
    assert counts[("aws", "modelled")] > 0 and counts[("azurerm", "netted")] > 0


def test_the_parents_table_is_the_catalogues() -> None:
    # parents.yaml is read on every scan (the catalogue is too large to be); it must say what the catalogue says.
    assert map_coverage.PARENTS_FILE.read_text(encoding="utf-8") == map_coverage.parents_document()
