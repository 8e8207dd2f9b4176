"""Configuration languages and operator resources of the observability stacks, read into flows: Alertmanager and
AlertmanagerConfig receivers, Prometheus Operator monitor selectors, Fluent Bit includes and variables, Fluentd
outputs, OpenTelemetry Operator instrumentation and Vector. The end-to-end cases are ``fixtures/k8s-*``; these
tests cover the building blocks and the shapes the fixtures do not.
"""

from __future__ import annotations

from textwrap import dedent

from providers.interface import ScanOptions
from providers.kubernetes import alertmanager
from providers.kubernetes.manifests import read_manifests
from providers.kubernetes.normalise import to_inventory
from scanner.model import FlowKind, Inventory

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


def scan(text: str) -> Inventory:
    manifests, gaps = read_manifests(DWP + "---\n" + dedent(text), "test.yaml")
    assert not gaps
    return to_inventory(manifests, ScanOptions(), "eu-west-2")


def targets(inventory: Inventory, kind: FlowKind) -> set[tuple[str, str | None]]:
    return {(f.resource_id, f.target.region) for f in inventory.flows if f.kind == kind}


# --- Alertmanager ---------------------------------------------------------------------------------


def test_route_tree_follows_namespace_matchers_and_inherits_receivers() -> None:
    route = {"receiver": "default", "routes": [
        {"matchers": ['namespace="payments"'], "receiver": "payments"},
        {"match_re": {"namespace": "claims|pensions"}, "routes": [{"matchers": ["severity=critical"]}]},
        {"matchers": [{"name": "namespace", "value": "claims", "matchType": "!="}], "receiver": "others"},
    ]}
    reached = list(alertmanager.reachable(route, "claims"))
    assert [name for name, _ in reached] == ["default", "default", "default"]
    assert ("payments", "route.routes[0]") in alertmanager.reachable(route, "payments")
    assert ("others", "route.routes[2]") in alertmanager.reachable(route, "payments")


def test_standalone_alertmanager_configmap_fed_by_prometheus_config_scraping_dwp_namespace() -> None:
    inventory = scan("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: prometheus-server, namespace: monitoring}
        data:
          prometheus.yml: |
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: [prometheus-alertmanager.monitoring.svc:9093]
            scrape_configs:
              - job_name: kubernetes-pods
                kubernetes_sd_configs:
                  - role: pod
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: prometheus-alertmanager, namespace: monitoring}
        data:
          alertmanager.yml: |
            global:
              opsgenie_api_url: https://api.eu.opsgenie.com/
              slack_api_url: https://hooks.slack.com/services/T0/B0/X
            route:
              receiver: team
            receivers:
              - name: team
                opsgenie_configs:
                  - api_key: abc
                slack_configs:
                  - channel: "#claims"
                webhook_configs:
                  - url: https://alerts.example.gov.uk/hook
                  - url_file: /etc/alertmanager/secrets/url
        """)
    found = targets(inventory, FlowKind.ALERTING)
    assert ("Deployment/claims/claims-api", "api.eu.opsgenie.com") in found
    assert ("Deployment/claims/claims-api", "hooks.slack.com") in found
    assert ("Deployment/claims/claims-api", "alerts.example.gov.uk") in found
    from_file = [f for f in inventory.flows
                 if f.kind == FlowKind.ALERTING and "file in the pod" in (f.target.note or "")]
    assert len(from_file) == 1 and from_file[0].target.uk is None


def test_prometheus_that_scrapes_only_its_own_namespace_sends_no_dwp_alerts() -> None:
    inventory = scan("""\
        apiVersion: monitoring.coreos.com/v1
        kind: Prometheus
        metadata: {name: k8s, namespace: monitoring}
        spec:
          alerting:
            alertmanagers: [{namespace: monitoring, name: alertmanager-main, port: web}]
          serviceMonitorSelector: {}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: alertmanager-main, namespace: monitoring}
        stringData:
          alertmanager.yaml: |
            route: {receiver: pd}
            receivers:
              - name: pd
                pagerduty_configs: [{routing_key: abc}]
        """)
    assert targets(inventory, FlowKind.ALERTING) == set()


def test_null_monitor_selectors_scrape_nothing_and_a_monitor_elsewhere_is_chosen_by_its_labels() -> None:
    base = """\
        apiVersion: monitoring.coreos.com/v1
        kind: Prometheus
        metadata: {name: k8s, namespace: monitoring}
        spec:
          alerting:
            alertmanagers: [{namespace: monitoring, name: alertmanager-main, port: web}]
          %s
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: claims, namespace: monitoring, labels: {team: claims}}
        spec:
          namespaceSelector: {matchNames: [claims]}
          selector: {matchLabels: {app: claims-api}}
          endpoints: [{port: metrics}]
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: alertmanager-main, namespace: monitoring}
        stringData:
          alertmanager.yaml: |
            route: {receiver: pd}
            receivers:
              - name: pd
                pagerduty_configs: [{routing_key: abc}]
        """
    pager = ("Deployment/claims/claims-api", "events.pagerduty.com")
    assert targets(scan(base % "podMonitorNamespaceSelector: {}"), FlowKind.ALERTING) == set()
    assert pager in targets(scan(base % "serviceMonitorSelector: {matchLabels: {team: claims}}"), FlowKind.ALERTING)
    assert targets(scan(base % "serviceMonitorSelector: {matchLabels: {team: other}}"), FlowKind.ALERTING) == set()


def test_alertmanager_configuration_names_the_alertmanagerconfig_used_for_every_namespace() -> None:
    inventory = scan("""\
        apiVersion: monitoring.coreos.com/v1
        kind: Alertmanager
        metadata: {name: main, namespace: monitoring}
        spec:
          alertmanagerConfiguration:
            name: global-routing
            global:
              opsGenieApiUrl: {name: opsgenie, key: url}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: opsgenie, namespace: monitoring}
        stringData: {url: "https://api.eu.opsgenie.com/"}
        ---
        apiVersion: monitoring.coreos.com/v1alpha1
        kind: AlertmanagerConfig
        metadata: {name: global-routing, namespace: monitoring}
        spec:
          route: {receiver: ops}
          receivers:
            - name: ops
              opsgenieConfigs: [{apiKey: {name: opsgenie, key: key}}]
              slackConfigs: [{apiURL: {name: slack-hook, key: url}}]
        """)
    flows = [f for f in inventory.flows if f.kind == FlowKind.ALERTING]
    assert {f.target.region for f in flows} == {"api.eu.opsgenie.com", "Secret slack-hook key url"}
    assert all(f.resource_id == "Deployment/claims/claims-api" for f in flows)
    slack = next(f for f in flows if f.target.region == "Secret slack-hook key url")
    assert slack.target.uk is None and "not in the scanned input" in (slack.target.note or "")


def test_unreadable_alertmanager_configuration_is_a_gap() -> None:
    inventory = scan("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: alertmanager, namespace: monitoring}
        data:
          alertmanager.yml: "route: [unclosed"
        """)
    assert any("Alertmanager configuration" in g.reason for g in inventory.coverage)


# --- Prometheus Operator: PrometheusAgent -----------------------------------------------------------


def test_prometheus_agent_remote_write_carries_the_namespaces_its_monitors_select() -> None:
    agent = """\
        apiVersion: monitoring.coreos.com/v1alpha1
        kind: PrometheusAgent
        metadata: {name: agent, namespace: monitoring}
        spec:
          serviceMonitorSelector: {}
          serviceMonitorNamespaceSelector: %s
          remoteWrite:
            - url: https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write
        """
    everyone = scan(agent % "{}")
    assert ("Deployment/claims/claims-api", "aps-workspaces.us-east-1.amazonaws.com") in targets(
        everyone, FlowKind.TELEMETRY)
    others = scan(agent % "{matchLabels: {kubernetes.io/metadata.name: payments}}")
    assert targets(others, FlowKind.TELEMETRY) == set()


# --- Fluent Bit and Fluentd -----------------------------------------------------------------------


def test_fluent_bit_keys_reads_only_included_fragments_with_set_variables() -> None:
    from providers.semantics.fluent_config import fluent_bit_keys

    data = {
        "fluent-bit.conf": "@SET host=logs.example.gov.uk\n[SERVICE]\n    Flush 1\n@INCLUDE conf.d/out-*.conf\n",
        "out-es.conf": "[OUTPUT]\n    Name es\n    Host ${host}\n",
        "unused.conf": "[OUTPUT]\n    Name datadog\n",
        "parsers.conf": "[PARSER]\n    Name docker\n",
    }
    kept = fluent_bit_keys(data)
    assert set(kept) == {"fluent-bit.conf", "out-es.conf", "parsers.conf"}
    assert "Host logs.example.gov.uk" in kept["out-es.conf"]
    assert fluent_bit_keys({"a.conf": "[OUTPUT]\n Name es\n"}) == {"a.conf": "[OUTPUT]\n Name es\n"}


def test_fluentd_outputs_by_type() -> None:
    from providers.semantics.fluent_config import fluentd_destinations

    text = dedent("""\
        <label @OUT>
          <match **>
            @type forward
            <server>
              host aggregator-1.example.gov.uk
            </server>
            <server>
              host aggregator-2.example.co.uk
            </server>
          </match>
        </label>
        <match app.**>
          @type splunk_hec
          hec_host http-inputs-acme.splunkcloud.com
        </match>
        <match audit.**>
          @type http
          endpoint https://logs.eu.example.com/ingest
        </match>
        <match es.**>
          @type elasticsearch
          hosts https://es-1.us-east-1.aws.found.io:9243,es-2.example.gov.uk:9200
        </match>
        <match dd.**>
          @type datadog
        </match>
        <match debug.**>
          @type stdout
        </match>
        """)
    found = {label: endpoint.host for label, endpoint in fluentd_destinations(text)}
    assert found["<label @OUT> <match **> @type forward <server> host"] in {"aggregator-1.example.gov.uk",
                                                                            "aggregator-2.example.co.uk"}
    hosts = [e.host for _, e in fluentd_destinations(text)]
    assert hosts == ["aggregator-1.example.gov.uk", "aggregator-2.example.co.uk", "http-inputs-acme.splunkcloud.com",
                     "logs.eu.example.com", "es-1.us-east-1.aws.found.io", "es-2.example.gov.uk",
                     "http-intake.logs.datadoghq.com"]


# --- OpenTelemetry Operator Instrumentation -------------------------------------------------------


def test_instrumentation_needs_one_in_the_namespace_for_true() -> None:
    two = """\
        apiVersion: opentelemetry.io/v1alpha1
        kind: Instrumentation
        metadata: {name: a, namespace: claims}
        spec: {exporter: {endpoint: "https://api.honeycomb.io"}}
        ---
        apiVersion: opentelemetry.io/v1alpha1
        kind: Instrumentation
        metadata: {name: b, namespace: claims}
        spec: {exporter: {endpoint: "https://api.honeycomb.io"}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: injected, namespace: claims}
        spec:
          template:
            metadata:
              annotations: {instrumentation.opentelemetry.io/inject-java: "%s"}
            spec:
              containers: [{name: app, image: 111122223333.dkr.ecr.eu-west-2.amazonaws.com/app:1}]
        """
    assert ("Deployment/claims/injected", "api.honeycomb.io") not in targets(scan(two % "true"), FlowKind.TELEMETRY)
    assert ("Deployment/claims/injected", "api.honeycomb.io") in targets(scan(two % "b"), FlowKind.TELEMETRY)


# --- Vector ---------------------------------------------------------------------------------------


def test_vector_field_selector_excluding_the_dwp_namespace_carries_nothing() -> None:
    vector = """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: vector, namespace: vector}
        data:
          vector.yaml: |
            sources:
              k8s:
                type: kubernetes_logs
                extra_field_selector: "metadata.namespace!=%s"
            sinks:
              dd:
                type: datadog_logs
                inputs: [k8s]
                default_api_key: x
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: vector, namespace: vector}
        spec:
          template:
            spec:
              containers: [{name: vector, image: timberio/vector:0.41.0-distroless-libc}]
              volumes:
                - {name: var-log, hostPath: {path: /var/log/}}
                - {name: config, configMap: {name: vector}}
        """
    assert ("Deployment/claims/claims-api", "datadoghq.com") not in targets(scan(vector % "claims"),
                                                                              FlowKind.LOG_EXPORT)
    assert ("Deployment/claims/claims-api", "datadoghq.com") in targets(scan(vector % "payments"),
                                                                          FlowKind.LOG_EXPORT)
