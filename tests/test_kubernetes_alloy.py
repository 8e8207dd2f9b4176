"""Grafana Alloy's configuration read as structure: the syntax (``alloy_syntax``), the destinations of its sending
components, and the pipeline from its sources to them with the namespaces each path can carry (``alloy``). The
end-to-end cases are ``fixtures/k8s-node-alloy-*``."""

from __future__ import annotations

from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.interface import ScanOptions
from providers.kubernetes import alloy
from providers.kubernetes.alloy_syntax import (
    AlloySyntaxError,
    Array,
    Attribute,
    Block,
    Call,
    Literal,
    Object,
    Reference,
    literal,
    parse,
)
from providers.kubernetes.manifests import Manifest, read_manifests
from providers.kubernetes.normalise import to_inventory
from scanner.model import Inventory

DWP = dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: claims
      labels: {dwp.gov.uk/classification: OFFICIAL}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: claims-api, namespace: claims}
    spec:
      selector: {matchLabels: {app: claims-api}}
      template:
        metadata:
          labels: {app: claims-api}
        spec:
          containers:
            - {name: api, image: 111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api:2.14.0}
    """)


def _workload(ns: str = "claims", annotations: dict[str, str] | None = None) -> Manifest:
    text = DWP.split("---\n", 1)[1].replace("namespace: claims", f"namespace: {ns}")
    if annotations:
        text = text.replace("labels: {app: claims-api}\n", "labels: {app: claims-api}\n      annotations: "
                            + "{" + ", ".join(f"{k}: {v!r}" for k, v in annotations.items()) + "}\n", 1)
    manifests, gaps = read_manifests(text, "w.yaml")
    assert not gaps
    return manifests[0]


def _no_labels(_ns: str) -> dict[str, str] | None:
    return None


def _carried(text: str, ns: str = "claims", **workload: dict[str, str]) -> dict[str, bool]:
    """Per destination setting and signal, whether it carries the workload's data."""
    reading = alloy.read("config.alloy", dedent(text))
    subject = _workload(ns, **workload)
    return {f"{d.endpoint.host} {sorted(d.signals or [])}": bool(d.reads and d.reads.test(subject, _no_labels))
            for d in reading.destinations}


def _scan(text: str) -> Inventory:
    manifests, gaps = read_manifests(DWP + "---\n" + dedent(text), "test.yaml")
    assert not gaps
    return to_inventory(manifests, ScanOptions(), "eu-west-2")


# --- the syntax -----------------------------------------------------------------------------------


def test_blocks_attributes_and_expressions_parse_with_their_lines() -> None:
    document = parse(dedent("""\
        // a comment
        logging { level = "info" }
        /* a comment
           over lines */
        discovery.relabel "pods" {
          targets = discovery.kubernetes.pods.targets
          rule {
            regex = "^(\\\\S+):\\\\/\\\\/.+$\\t\\u00e9"
            raw = `C:\\path\\n`
            numbers = [1, 2.5, 1e3, -4,]
            flags = {a = true, "b-c" = false, d = null}
            joined = "spec.nodeName=" + sys.env("HOSTNAME")
            pick = coalesce(argument.namespaces.value, [])[0]
          }
        }
        """))
    logging, relabel = document.blocks()
    assert (logging.name, logging.label, logging.line) == ("logging", None, 2)
    assert (relabel.name, relabel.label, relabel.line) == ("discovery.relabel", "pods", 5)
    targets = relabel.attribute("targets")
    assert isinstance(targets, Attribute) and targets.line == 6
    assert isinstance(targets.value, Reference) and targets.value.dotted == "discovery.kubernetes.pods.targets"
    [rule] = relabel.blocks("rule")
    assert isinstance(rule, Block) and rule.line == 7
    values = {a.name: a.value for a in rule.attributes}
    assert literal(values["regex"]) == "^(\\S+):\\/\\/.+$\t\u00e9"
    assert literal(values["raw"]) == "C:\\path\\n"
    numbers = values["numbers"]
    assert isinstance(numbers, Array) and len(numbers.items) == 4
    assert [literal(n) for n in numbers.items[:3]] == [1, 2.5, 1000.0]
    assert literal(values["flags"]) == {"a": True, "b-c": False, "d": None}
    assert isinstance(values["flags"], Object)
    assert not isinstance(values["joined"], Literal)
    assert isinstance(values["pick"], object) and values["pick"].line == 13
    call = values["joined"].right  # type: ignore[union-attr]
    assert isinstance(call, Call) and isinstance(call.function, Reference) and call.function.dotted == "sys.env"


@pytest.mark.parametrize(("text", "line"), [
    ('loki.write "a" {\n  url = "x"\n', 3),
    ('a = "unterminated\n', 1),
    ("a = [1, 2\nb = 3\n", 2),
    ("block {\n  x = 1 y = 2\n}\n", 2),
    ("a = 1\n\n  = 2\n", 3),
    ('a = "\\q"\n', 1),
    ("/* never closed\n", 1),
    ("x = @\n", 1),
])
def test_text_that_is_not_alloy_raises_its_own_error_with_the_line(text: str, line: int) -> None:
    with pytest.raises(AlloySyntaxError) as error:
        parse(text)
    assert error.value.line == line


def test_nesting_too_deep_is_refused_not_a_recursion_error() -> None:
    for text in ("a = " + "[" * 5000 + "]" * 5000, "a = " + "-" * 5000 + "1", "a = " + " + ".join(["1"] * 5000),
                 "a = " + " ^ ".join(["1"] * 5000), "b {" * 3000 + "}" * 3000):
        with pytest.raises(AlloySyntaxError):
            parse(text)


_PIECES = st.sampled_from(['"', "`", "{", "}", "[", "]", "(", ")", "=", ",", ".", "\n", " ", "//", "/*", "*/",
                           "\\", "\\u12", "a", "b.c", '"l"', "1", "1.5e", "-", "+", "!", "^", "null", "true", "\t",
                           "\x00", "é", "#", "$", "&&", "||"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=60).map("".join)))
def test_any_text_parses_or_raises_only_alloy_syntax_error(text: str) -> None:
    try:
        parse(text)
    except AlloySyntaxError as error:
        assert error.line >= 1


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=60).map("".join))
def test_reading_any_text_never_raises(text: str) -> None:
    reading = alloy.read("config.alloy", 'loki.write "a" {\n endpoint { url = "https://x.example" }\n}\n' + text)
    assert reading.unreadable is None or "config.alloy" in reading.unreadable


# --- destinations ---------------------------------------------------------------------------------


def test_kafka_brokers_each_a_destination_and_an_expression_said_unreadable() -> None:
    text = dedent("""\
        otelcol.exporter.kafka "a" {
          brokers = ["b-1.x.c2.kafka.us-east-1.amazonaws.com:9092", "kafka.kafka.svc:9092"]
        }
        otelcol.exporter.kafka "b" {
          brokers = split(sys.env("BROKERS"), ",")
        }
        otelcol.exporter.otlphttp "c" {
          client { endpoint = "https://otlp.eu01.nr-data.net" }
          traces_endpoint = "https://otlp.nr-data.net/v1/traces"
        }
        """)
    found = alloy.destinations("config.alloy", text)
    hosts = [(label, e.host, e.uk) for label, e in found]
    assert hosts[0] == ("config.alloy otelcol.exporter.kafka brokers",
                        "b-1.x.c2.kafka.us-east-1.amazonaws.com", False)
    assert hosts[1][1].startswith("kafka.kafka.svc")
    assert "is the expression split(sys.env(\"BROKERS\"), \",\")" in (found[2][1].note or "")
    assert [h for _, h, _ in hosts[3:]] == ["otlp.eu01.nr-data.net", "otlp.nr-data.net"]


def test_a_receiver_listen_address_or_an_auth_token_url_is_no_destination() -> None:
    text = dedent("""\
        otelcol.receiver.otlp "in" {
          http { endpoint = "0.0.0.0:4318" }
        }
        prometheus.remote_write "out" {
          endpoint {
            url = "https://prometheus-prod-13-prod-us-east-0.grafana.net/api/prom/push"
            oauth2 { token_url = "https://login.example.com/token" }
          }
        }
        """)
    assert [e.host for _, e in alloy.destinations("config.alloy", text)] == [
        "prometheus-prod-13-prod-us-east-0.grafana.net"]


def test_is_alloy_reads_structure_not_words() -> None:
    assert alloy.is_alloy("config.river", 'loki.write "a" {\n}\n')
    assert not alloy.is_alloy("fluent-bit.conf", "[OUTPUT]\n  Name loki\n  # loki.write \"x\" {\n")
    assert not alloy.is_alloy("values.yaml", 'comment: loki.write "a" { }')


# --- the pipeline ---------------------------------------------------------------------------------

_POD_LOGS = """\
    discovery.kubernetes "pods" {
      role = "pod"
      %(namespaces)s
    }
    discovery.relabel "pods" {
      targets = discovery.kubernetes.pods.targets
      rule {
        source_labels = ["__meta_kubernetes_namespace"]
        target_label  = "namespace"
      }
      %(rules)s
    }
    loki.source.kubernetes "pods" {
      targets    = discovery.relabel.pods.output
      forward_to = [loki.write.cloud.receiver]
    }
    loki.write "cloud" {
      endpoint { url = "https://logs-prod-us-east-0.grafana.net/loki/api/v1/push" }
    }
    """


def _pod_logs(rules: str = "", namespaces: str = "") -> str:
    return dedent(_POD_LOGS) % {"rules": rules, "namespaces": namespaces}


def test_keep_rule_on_the_copied_namespace_label_narrows_the_destination() -> None:
    keep = 'rule {\n source_labels = ["namespace"]\n regex = "kube-system|monitoring"\n action = "keep"\n}'
    assert _carried(_pod_logs(keep)) == {"logs-prod-us-east-0.grafana.net ['logs']": False}
    assert _carried(_pod_logs(keep), ns="monitoring") == {"logs-prod-us-east-0.grafana.net ['logs']": True}


def test_drop_rule_on_another_namespace_keeps_the_dwp_namespace() -> None:
    drop = 'rule {\n source_labels = ["__meta_kubernetes_namespace"]\n regex = "kube-.*"\n action = "drop"\n}'
    assert _carried(_pod_logs(drop)) == {"logs-prod-us-east-0.grafana.net ['logs']": True}
    assert _carried(_pod_logs(drop), ns="kube-system") == {"logs-prod-us-east-0.grafana.net ['logs']": False}


def test_discovery_namespaces_names_narrow_and_own_namespace_adds_the_collectors() -> None:
    names = 'namespaces {\n names = ["payments"]\n own_namespace = true\n}'
    assert _carried(_pod_logs(namespaces=names)) == {"logs-prod-us-east-0.grafana.net ['logs']": False}
    assert _carried(_pod_logs(namespaces=names), ns="payments")["logs-prod-us-east-0.grafana.net ['logs']"]


def test_rule_on_a_label_the_scan_does_not_know_carries_and_says_so() -> None:
    rule = 'rule {\n source_labels = ["__meta_kubernetes_pod_node_name"]\n regex = "gpu-.*"\n action = "keep"\n}'
    reading = alloy.read("config.alloy", dedent(_pod_logs(rule)))
    [destination] = reading.destinations
    assert destination.reads is not None and destination.reads.test(_workload(), _no_labels)
    assert "not evaluated, taken to keep everything" in destination.reads.how
    assert "__meta_kubernetes_pod_node_name" in destination.reads.how


def test_rule_on_a_pod_annotation_is_evaluated_on_the_workloads_template() -> None:
    rule = ('rule {\n source_labels = ["__meta_kubernetes_pod_annotation_logs_grafana_com_scrape"]\n'
            ' regex = "true"\n action = "keep"\n}')
    assert _carried(_pod_logs(rule)) == {"logs-prod-us-east-0.grafana.net ['logs']": False}
    opted = _carried(_pod_logs(rule), annotations={"logs.grafana.com/scrape": "true"})
    assert opted == {"logs-prod-us-east-0.grafana.net ['logs']": True}


def test_regex_python_cannot_read_keeps_everything() -> None:
    rule = 'rule {\n source_labels = ["namespace"]\n regex = "(?<x>kube"\n action = "keep"\n}'
    reading = alloy.read("config.alloy", dedent(_pod_logs(rule)))
    [destination] = reading.destinations
    assert destination.reads is not None and destination.reads.test(_workload(), _no_labels)
    assert "a regex Python cannot read" in destination.reads.how


def test_declared_module_arguments_are_followed_to_the_writer_of_each_instance() -> None:
    text = dedent("""\
        declare "pod_logs" {
          argument "destinations" { }
          argument "namespaces" { optional = true }
          discovery.kubernetes "pods" {
            role = "pod"
            namespaces {
              names = coalesce(argument.namespaces.value, [])
            }
          }
          loki.source.kubernetes "pods" {
            targets    = discovery.kubernetes.pods.targets
            forward_to = argument.destinations.value
          }
        }
        pod_logs "platform" {
          destinations = [loki.write.abroad.receiver]
          namespaces   = ["kube-system"]
        }
        pod_logs "everyone" {
          destinations = [loki.write.home.receiver]
        }
        loki.write "abroad" {
          endpoint { url = "https://logs-prod-us-east-0.grafana.net/loki/api/v1/push" }
        }
        loki.write "home" {
          endpoint { url = "https://loki.example.co.uk/loki/api/v1/push" }
        }
        """)
    carried = _carried(text)
    assert carried == {"logs-prod-us-east-0.grafana.net ['logs']": False, "loki.example.co.uk ['logs']": True}


def test_a_forward_to_the_scan_cannot_follow_reaches_every_destination_and_says_so() -> None:
    text = dedent("""\
        import.git "mods" {
          repository = "https://github.com/example/modules"
          path       = "logs.alloy"
        }
        discovery.kubernetes "pods" { role = "pod" }
        loki.source.kubernetes "pods" {
          targets    = discovery.kubernetes.pods.targets
          forward_to = [mods.pipeline.logs.receiver]
        }
        loki.write "cloud" {
          endpoint { url = "https://logs-prod-us-east-0.grafana.net/loki/api/v1/push" }
        }
        """)
    [destination] = alloy.read("config.alloy", text).destinations
    assert destination.reads is not None and destination.reads.test(_workload(), _no_labels)
    assert "not followed: taken to reach every destination" in destination.reads.how
    assert "import.git \"mods\"" in destination.reads.how


def test_signals_follow_otelcol_outputs_and_events_are_no_workloads_data() -> None:
    text = dedent("""\
        loki.source.kubernetes_events "events" {
          forward_to = [loki.write.events.receiver]
        }
        loki.write "events" {
          endpoint { url = "https://logs-prod-us-east-0.grafana.net/loki/api/v1/push" }
        }
        prometheus.operator.servicemonitors "apps" {
          namespaces = ["claims"]
          forward_to = [otelcol.receiver.prometheus.apps.receiver]
        }
        otelcol.receiver.prometheus "apps" {
          output { metrics = [otelcol.exporter.otlphttp.cloud.input] }
        }
        otelcol.exporter.otlphttp "cloud" {
          client { endpoint = "https://otlp-gateway-prod-us-east-0.grafana.net/otlp" }
        }
        """)
    assert _carried(text) == {"logs-prod-us-east-0.grafana.net []": False,
                              "otlp-gateway-prod-us-east-0.grafana.net ['metrics']": True}
    assert not _carried(text, ns="payments")["otlp-gateway-prod-us-east-0.grafana.net ['metrics']"]


def test_node_role_scrapes_carry_every_workloads_metrics_by_their_namespace_label() -> None:
    text = dedent("""\
        discovery.kubernetes "nodes" { role = "node" }
        prometheus.scrape "cadvisor" {
          targets    = discovery.kubernetes.nodes.targets
          forward_to = [prometheus.relabel.cadvisor.receiver]
        }
        prometheus.relabel "cadvisor" {
          rule {
            source_labels = ["namespace"]
            regex         = "kube-system"
            action        = "drop"
          }
          forward_to = [prometheus.remote_write.cloud.receiver]
        }
        prometheus.exporter.unix "host" { }
        prometheus.scrape "host" {
          targets    = prometheus.exporter.unix.host.targets
          forward_to = [prometheus.remote_write.host.receiver]
        }
        prometheus.remote_write "cloud" {
          endpoint { url = "https://prometheus-prod-13-prod-us-east-0.grafana.net/api/prom/push" }
        }
        prometheus.remote_write "host" {
          endpoint { url = "https://prometheus-prod-10-prod-eu-west-0.grafana.net/api/prom/push" }
        }
        """)
    carried = _carried(text)
    assert carried["prometheus-prod-13-prod-us-east-0.grafana.net ['metrics']"]
    assert carried["prometheus-prod-10-prod-eu-west-0.grafana.net []"] is False
    assert not _carried(text, ns="kube-system")["prometheus-prod-13-prod-us-east-0.grafana.net ['metrics']"]


# --- end to end -----------------------------------------------------------------------------------

_RESOURCE = dedent("""\
    apiVersion: collectors.grafana.com/v1alpha1
    kind: Alloy
    metadata: {name: logs, namespace: monitoring}
    spec:
      alloy:
        mounts: {varlog: true}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: logs, namespace: monitoring}
    data:
      config.alloy: |
    %s
    """)


def _resource(config: str) -> str:
    return _RESOURCE % "\n".join("    " + line for line in dedent(config).splitlines())


def test_alloy_that_keeps_only_platform_namespaces_has_no_flow_and_skips_nothing() -> None:
    keep = 'rule {\n source_labels = ["namespace"]\n regex = "kube-system|monitoring"\n action = "keep"\n}'
    inventory = _scan(_resource(_pod_logs(keep)))
    assert not [f for f in inventory.flows if f.resource_id == "Deployment/claims/claims-api"]
    assert not inventory.coverage


def test_alloy_that_drops_kube_system_carries_the_dwp_logs_with_the_path_in_its_how() -> None:
    drop = 'rule {\n source_labels = ["namespace"]\n regex = "kube-system"\n action = "drop"\n}'
    inventory = _scan(_resource(_pod_logs(drop)))
    [flow] = [f for f in inventory.flows if f.resource_id == "Deployment/claims/claims-api"]
    assert flow.target.region == "logs-prod-us-east-0.grafana.net"
    how = " ".join(flow.target.provenance)
    assert "discovery.kubernetes.pods (role pod, every namespace) to loki.write.cloud" in how
    assert "discovery.relabel.pods drops namespace =~ kube-system" in how
    assert not inventory.coverage


def test_configuration_that_does_not_parse_is_a_gap_naming_key_and_line() -> None:
    inventory = _scan(_resource('loki.write "cloud" {\n  endpoint {\n    url = "https://x.example"\n  }\n'))
    [gap] = inventory.coverage
    assert "config.alloy does not parse as Alloy configuration at line 5" in gap.reason
    assert gap.line is not None
    [flow] = [f for f in inventory.flows if f.resource_id == "Deployment/claims/claims-api"]
    assert flow.target.uk is None


_DAEMONSET = dedent("""\
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: alloy, namespace: monitoring}
    spec:
      selector: {matchLabels: {app: alloy}}
      template:
        metadata: {labels: {app: alloy}}
        spec:
          containers: [{name: alloy, image: grafana/alloy:v1.5.0}]
          volumes:
            - {name: config, configMap: {name: alloy}}
            - {name: varlog, hostPath: {path: /var/log}}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: alloy, namespace: monitoring}
    data:
      config.alloy: |
    %s
    """)


def test_alloy_daemonset_of_the_grafana_chart_is_narrowed_by_its_pipeline_too() -> None:
    keep = 'rule {\n source_labels = ["namespace"]\n regex = "kube-system"\n action = "keep"\n}'
    config = "\n".join("    " + line for line in _pod_logs(keep).splitlines())
    inventory = _scan(_DAEMONSET % config)
    assert not [f for f in inventory.flows if f.resource_id == "Deployment/claims/claims-api"]
    assert not inventory.coverage
    drop = keep.replace('"keep"', '"drop"')
    config = "\n".join("    " + line for line in _pod_logs(drop).splitlines())
    [flow] = [f for f in _scan(_DAEMONSET % config).flows if f.resource_id == "Deployment/claims/claims-api"]
    assert flow.target.region == "logs-prod-us-east-0.grafana.net" and flow.target.uk is False


def test_literal_file_targets_are_matched_against_the_workloads_log_files() -> None:
    text = dedent("""\
        local.file_match "audit" {
          path_targets = [{"__path__" = "/var/log/kube-apiserver/audit.log", job = "audit"}]
        }
        loki.source.file "audit" {
          targets    = local.file_match.audit.targets
          forward_to = [loki.write.audit.receiver]
        }
        loki.source.file "pods" {
          targets    = [{__path__ = "/var/log/pods/*/*/*.log"}]
          forward_to = [loki.write.pods.receiver]
        }
        loki.write "audit" {
          endpoint { url = "https://logs-prod-us-east-0.grafana.net/loki/api/v1/push" }
        }
        loki.write "pods" {
          endpoint { url = "https://logs-prod-017-prod-us-east-0.grafana.net/loki/api/v1/push" }
        }
        """)
    assert _carried(text) == {"logs-prod-us-east-0.grafana.net ['logs']": False,
                              "logs-prod-017-prod-us-east-0.grafana.net ['logs']": True}


def test_a_modules_export_is_followed_to_the_component_behind_it() -> None:
    text = dedent("""\
        declare "discover" {
          argument "namespaces" { }
          discovery.kubernetes "pods" {
            role = "pod"
            namespaces { names = argument.namespaces.value }
          }
          export "output" { value = discovery.kubernetes.pods.targets }
        }
        discover "platform" { namespaces = ["kube-system"] }
        loki.source.kubernetes "pods" {
          targets    = discover.platform.output
          forward_to = [loki.write.cloud.receiver]
        }
        loki.write "cloud" {
          endpoint { url = "https://logs-prod-us-east-0.grafana.net/loki/api/v1/push" }
        }
        """)
    assert _carried(text) == {"logs-prod-us-east-0.grafana.net ['logs']": False}
    assert _carried(text, ns="kube-system") == {"logs-prod-us-east-0.grafana.net ['logs']": True}


def test_alloy_deployment_reading_pod_logs_through_the_api_carries_them_without_a_mount() -> None:
    config = "\n".join("    " + line for line in _pod_logs().splitlines())
    text = "\n".join(line for line in (_DAEMONSET % config).replace("kind: DaemonSet", "kind: Deployment")
                      .splitlines() if "hostPath" not in line)
    [flow] = [f for f in _scan(text).flows if f.resource_id == "Deployment/claims/claims-api"]
    assert flow.target.region == "logs-prod-us-east-0.grafana.net"
    assert "its configuration config.alloy reads logs" in " ".join(flow.target.provenance)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["source_labels", "regex", "action", "target_label", "separator",
                                        "replacement"]),
                       st.sampled_from(['["namespace"]', '"keep"', '"drop"', "null", "5", '"(?<x"', '"$1"',
                                        '["__meta_kubernetes_namespace", "x"]', '"labelmap"', '"keepequal"',
                                        '"lowercase"', '"hashmod"', "[1, 2]", "{a = 1}", 'sys.env("X")'])))
def test_any_relabel_rule_is_read_without_raising(rule: dict[str, str]) -> None:
    body = "\n".join(f" {k} = {v}" for k, v in rule.items())
    reading = alloy.read("config.alloy", dedent(_pod_logs("rule {\n" + body + "\n}")))
    for destination in reading.destinations:  # a rule that drops every target leaves no path: no reads
        assert (destination.reads is None) == (destination.signals == frozenset())
        if destination.reads is not None:
            destination.reads.test(_workload(), _no_labels)
