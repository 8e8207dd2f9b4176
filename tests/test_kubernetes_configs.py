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
