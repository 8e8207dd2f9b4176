"""Fluent Bit outputs from the table in providers/semantics/data/fluent_bit_outputs.yaml: every output names where
it sends, or is an unknown naming it; none is silence unless the table says it keeps data on the node."""

from __future__ import annotations

import pytest

from providers.semantics.telemetry_settings import fluent_bit_destinations, fluent_bit_table


def _sent(config: str) -> list[tuple[str, str, str | None]]:
    return [(label, endpoint.host, endpoint.country) for label, endpoint in fluent_bit_destinations(config)]


def test_kafka_brokers_are_each_placed() -> None:
    sent = _sent("[OUTPUT]\n    Name    kafka\n    Match   *\n"
                 "    Brokers b1.example.com:9092, kafka.eu-west-2.amazonaws.com:9092\n")
    assert [host for _, host, _ in sent] == ["b1.example.com", "kafka.eu-west-2.amazonaws.com"]


def test_an_output_the_table_does_not_know_is_an_unknown_naming_it() -> None:
    [(label, host, country)] = _sent("[OUTPUT]\n    Name  vendor_x\n    Match *\n    Token abc\n")
    assert "vendor_x" in label and host == "vendor_x" and country is None


def test_an_output_without_its_host_and_no_default_is_unknown() -> None:
    [(_, host, country)] = _sent("[OUTPUT]\n    Name  kafka\n    Match *\n")
    assert host == "kafka" and country is None


@pytest.mark.parametrize("name", ["stdout", "null", "file", "counter"])
def test_outputs_that_keep_data_on_the_node_send_nowhere(name: str) -> None:
    assert _sent(f"[OUTPUT]\n    Name  {name}\n    Match *\n") == []


def test_forward_without_a_host_is_this_node_and_with_one_is_placed() -> None:
    assert _sent("[OUTPUT]\n    Name  forward\n    Match *\n") == []
    [(_, host, _)] = _sent("[OUTPUT]\n    Name  forward\n    Host  agg.example.com\n")
    assert host == "agg.example.com"


def test_a_default_intake_is_used_when_the_host_is_not_set() -> None:
    [(label, host, country)] = _sent("[OUTPUT]\n    Name  datadog\n    Match *\n")
    assert "default" in label and host == "http-intake.logs.datadoghq.com" and country == "US"


def test_every_row_of_the_table_is_well_formed() -> None:
    table = fluent_bit_table()
    assert table.outputs and table.aws and table.silent
    for name, row in table.outputs.items():
        assert row.option == row.option.lower() and row.option, name
        assert not (row.local and row.default), name
    assert not (set(table.outputs) & set(table.aws)) and not (set(table.outputs) & table.silent)
    assert not (table.cloud_side & table.silent)
