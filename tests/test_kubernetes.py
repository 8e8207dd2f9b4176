"""Kubernetes input: the manifest reader, image registries, label placement, and rendered Helm output on stdin.

The end-to-end behaviour of each issue case lives in ``fixtures/k8s-*``; this file covers what the
fixture harness cannot: standard input, and the building blocks on their own.
"""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
from click.testing import CliRunner

from providers.kubernetes.manifests import read_manifests
from providers.kubernetes.placement import place_label_value
from providers.kubernetes.registries import is_upstream, place_image, split_image
from scanner.cli import main
from scanner.yaml_data import MAX_EXPANDED_NODES

# --- rendered Helm output on stdin -------------------------------------------------------------

HELM_TEMPLATE = dedent("""\
    ---
    # Source: claims/templates/namespace.yaml
    apiVersion: v1
    kind: Namespace
    metadata:
      name: claims
      labels:
        dwp.gov.uk/classification: OFFICIAL
    ---
    # Source: claims/templates/hpa.yaml
    # autoscaling disabled in these values: the template renders to nothing
    ---
    # Source: claims/templates/configmap.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: claims-api-env
      namespace: claims
      labels:
        helm.sh/chart: claims-1.4.0
        app.kubernetes.io/managed-by: Helm
    data:
      DD_SITE: datadoghq.eu
      DD_ENV: prod
    ---
    # Source: claims/templates/deployment.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: claims-api
      namespace: claims
      labels:
        helm.sh/chart: claims-1.4.0
        app.kubernetes.io/name: claims-api
        app.kubernetes.io/instance: claims
        app.kubernetes.io/managed-by: Helm
    spec:
      replicas: 3
      selector:
        matchLabels:
          app.kubernetes.io/name: claims-api
          app.kubernetes.io/instance: claims
      template:
        metadata:
          labels:
            app.kubernetes.io/name: claims-api
            app.kubernetes.io/instance: claims
        spec:
          containers:
            - name: api
              image: "444455556666.dkr.ecr.us-east-1.amazonaws.com/claims/claims-api:1.4.0"
              imagePullPolicy: IfNotPresent
              envFrom:
                - configMapRef:
                    name: claims-api-env
            - name: proxy
              image: "nginx:1.27-alpine"
    ---
    # Source: claims/templates/extras.yaml
    apiVersion: v1
    kind: List
    items:
      - apiVersion: v1
        kind: Service
        metadata:
          name: newrelic
          namespace: claims
        spec:
          type: ExternalName
          externalName: api.eu.newrelic.com
      - apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: claims-report
          namespace: claims
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  nodeSelector:
                    topology.kubernetes.io/zone: eu-west-1a
                  containers:
                    - name: report
                      image: "111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/report:1.4.0"
    """)


def _scan_stdin(text: str, *args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["scan", "-", "--format", "json", *args], input=text)
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_helm_template_on_stdin_is_scanned_with_stdin_as_the_path() -> None:
    code, report, err = _scan_stdin(HELM_TEMPLATE, "--cluster-region", "eu-west-2")
    found = {(f["rule_id"], f["resource"], f["outcome"]) for f in report["findings"]}
    assert found == {
        # the API image is in ECR us-east-1
        ("OFS-HOST-001", "Deployment/claims/claims-api", "fail"),  # its container api's image
        # DD_SITE datadoghq.eu reaches the container through envFrom
        ("OFS-DIAG-001", "Deployment/claims/claims-api", "fail"),
        # List items are objects too: an ExternalName to New Relic EU and a CronJob pinned to Ireland
        ("OFS-NET-001", "Service/claims/newrelic", "fail"),
        ("OFS-HOST-001", "CronJob/claims/claims-report", "fail"),
    }
    assert code == 1
    assert report["coverage"] == []
    assert "Traceback" not in err
    assert {f["source"]["path"] for f in report["findings"]} == {"<stdin>"}
    assert {r["source"]["path"] for r in report["inventory"]["resources"]} == {"<stdin>"}
    deployment = next(r for r in report["inventory"]["resources"] if r["id"] == "Deployment/claims/claims-api")
    assert deployment["source"]["line"] == HELM_TEMPLATE.splitlines().index("kind: Deployment")  # 1-based apiVersion
    # The nginx sidecar is an upstream image, not a DWP-built one.
    assert "Deployment/claims/claims-api/image/proxy" not in {r["id"] for r in report["inventory"]["resources"]}


def test_helm_template_on_stdin_without_cluster_region_notes_stdin() -> None:
    code, report, err = _scan_stdin(HELM_TEMPLATE)
    notes = [g for g in report["coverage"] if g["kind"] == "note"]
    assert [g["path"] for g in notes] == ["<stdin>"]
    assert "Deployment/claims/claims-api" in notes[0]["reason"] and "--cluster-region" in notes[0]["reason"]
    assert "offshore-scan: note: <stdin>:" in err
    # The unplaced Deployment is not judged; what is placed by itself still is.
    hosting = {(f["resource"], (f["part"] or "").split(" image ")[0])
               for f in report["findings"] if f["rule_id"] in ("OFS-HOST-001", "OFS-UNK-001")}
    # The image finding names the real object, with the container as its part.
    assert hosting == {("Deployment/claims/claims-api", "container api"), ("CronJob/claims/claims-report", "")}
    assert code == 1  # a note does not make the scan incomplete


def test_alias_bomb_on_stdin_is_a_gap_and_the_rest_is_scanned() -> None:
    bomb = _billion_laughs()
    stream = HELM_TEMPLATE + "---\n# Source: claims/templates/evil.yaml\n" + bomb
    code, report, err = _scan_stdin(stream, "--cluster-region", "eu-west-2")
    assert code == 2
    gaps = [g for g in report["coverage"] if g["kind"] == "error"]
    assert len(gaps) == 1 and gaps[0]["path"] == "<stdin>"
    assert gaps[0]["line"] == len(HELM_TEMPLATE.splitlines()) + 3
    assert "alias" in gaps[0]["reason"]
    assert f"offshore-scan: error: <stdin>:{gaps[0]['line']}: document refused" in err
    assert len(report["findings"]) == 4


# --- read_manifests ---------------------------------------------------------------------------

MULTI = dedent("""\
    # leading comment
    apiVersion: v1
    kind: Namespace
    metadata:
      name: claims
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: claims
    spec: {}
    ---

    ---
    # only a comment
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: api
      namespace: claims
    """)


def test_read_manifests_reads_every_document_with_its_line() -> None:
    manifests, gaps = read_manifests(MULTI, "all.yaml")
    assert gaps == []
    assert [(m.kind, m.name, m.namespace, m.line) for m in manifests] == [
        ("Namespace", "claims", None, 2),
        ("Deployment", "api", "claims", 7),
        ("Service", "api", "claims", 18),
    ]
    assert {m.path for m in manifests} == {"all.yaml"}


def test_read_manifests_skips_what_is_not_an_object() -> None:
    text = "replicaCount: 3\nimage: {tag: latest}\n---\n- a\n- b\n---\njust a string\n---\nkind: Deployment\n"
    assert read_manifests(text, "values.yaml") == ([], [])


def test_read_manifests_handles_a_leading_separator_and_documents_without_a_final_newline() -> None:
    manifests, gaps = read_manifests("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a", "x.yaml")
    assert gaps == []
    assert [(m.name, m.line) for m in manifests] == [("a", 2)]


LIST = dedent("""\
    apiVersion: v1
    kind: List
    metadata:
      resourceVersion: ""
    items:
      - apiVersion: v1
        kind: Service
        metadata:
          name: one
          namespace: claims
      - not an object
      - apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: two
          namespace: claims
    ---
    apiVersion: apps/v1
    kind: DeploymentList
    items:
      - apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: three
    """)


def test_read_manifests_flattens_list_kinds() -> None:
    manifests, gaps = read_manifests(LIST, "kubectl-get.yaml")
    assert gaps == []
    assert [(m.kind, m.name) for m in manifests] == [("Service", "one"), ("Deployment", "two"), ("Deployment", "three")]


def test_read_manifests_gives_list_items_their_own_line() -> None:
    # Manifest.line is "where the object starts": for an item of a List, that is the item, so a
    # finding on the tenth Deployment of `kubectl get deploy -A -o yaml` points at it, not at line 1.
    manifests, _ = read_manifests(LIST, "kubectl-get.yaml")
    assert [(m.name, m.line) for m in manifests] == [("one", 6), ("two", 12), ("three", 21)]


def test_invalid_document_is_a_gap_with_its_line_and_the_others_are_read() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: before
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: broken
            labels: {a: b}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: after
        """)
    manifests, gaps = read_manifests(text, "cm.yaml")
    assert [m.name for m in manifests] == ["before", "after"]
    assert [(g.path, g.line, g.kind) for g in gaps] == [("cm.yaml", 10, "error")]
    assert gaps[0].reason.startswith("not valid YAML")


def test_unterminated_quote_is_reported_inside_its_document() -> None:
    # PyYAML's problem mark for an unclosed quote is the end of the document; the line a user
    # needs is where the quoted scalar starts (the error's context mark), and never past the file.
    text = dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: ok
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: broken
        data:
          DD_SITE: "datadoghq.com
          DD_ENV: prod
        """)
    manifests, gaps = read_manifests(text, "cm.yaml")
    assert [m.name for m in manifests] == ["ok"]
    assert len(gaps) == 1
    assert gaps[0].line == 11


def test_python_tags_are_refused_not_constructed() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          run: !!python/object/apply:os.system ["touch /tmp/offshore-scan-pwned"]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: fine
        """)
    manifests, gaps = read_manifests(text, "tags.yaml")
    assert [m.name for m in manifests] == ["fine"]
    assert [(g.line, g.kind) for g in gaps] == [(6, "error")]
    assert "python/object/apply:os.system" in gaps[0].reason


@pytest.mark.parametrize("tag", ["!!python/name:os.system", "!!python/object:collections.OrderedDict {}",
                                 "!!python/module:os"])
def test_other_python_tags_are_refused_too(tag: str) -> None:
    manifests, gaps = read_manifests(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {tag}\n", "t")
    assert manifests == []
    assert len(gaps) == 1 and gaps[0].line == 6


def _billion_laughs(levels: int = 9) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: lol", "data:",
             '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_and_returns() -> None:
    # 9**10 nodes once expanded: walking it would never finish. Nothing is timed; it must return.
    valid = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"
    text = valid + "---\n" + _billion_laughs() + "---\n" + valid.replace("name: ok", "name: also-ok")
    manifests, gaps = read_manifests(text, "bomb.yaml")
    assert [m.name for m in manifests] == ["ok", "also-ok"]
    assert [(g.path, g.line, g.kind) for g in gaps] == [("bomb.yaml", 6, "error")]
    assert "alias" in gaps[0].reason and f"{MAX_EXPANDED_NODES:,}" in gaps[0].reason


def test_recursive_alias_is_refused() -> None:
    manifests, gaps = read_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x, self: *m}\n", "r.yaml")
    assert manifests == []
    assert len(gaps) == 1 and "alias" in gaps[0].reason


def test_ordinary_anchors_and_merge_keys_are_read() -> None:
    text = dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            spec:
              containers:
                - &container
                  name: api
                  image: nginx
                  env: &env
                    - {name: DD_SITE, value: uk1.datadoghq.com}
                - <<: *container
                  name: worker
                  env: *env
        """)
    manifests, gaps = read_manifests(text, "anchors.yaml")
    assert gaps == []
    containers = manifests[0].data["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["api", "worker"]
    assert containers[1]["env"] == [{"name": "DD_SITE", "value": "uk1.datadoghq.com"}]


def test_deep_nesting_returns() -> None:
    manifests, gaps = read_manifests("apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 20000 + "]" * 20000, "deep")
    assert len(manifests) + len(gaps) == 1


# --- registries -------------------------------------------------------------------------------


@pytest.mark.parametrize(("image", "expected"), [
    ("nginx", ("docker.io", "library/nginx")),
    ("bitnami/redis", ("docker.io", "bitnami/redis")),
    ("docker.io/library/busybox", ("docker.io", "library/busybox")),
    ("ghcr.io/acme/claims-api", ("ghcr.io", "acme/claims-api")),
    ("GHCR.IO/acme/claims-api", ("ghcr.io", "acme/claims-api")),
    ("ghcr.io/acme/claims-api@sha256:" + "a" * 64, ("ghcr.io", "acme/claims-api")),
    ("localhost/app", ("localhost", "app")),
    ("localhost:5000/team/app", ("localhost:5000", "team/app")),
    ("registry:5000/team/app", ("registry:5000", "team/app")),
    ("111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api", ("111122223333.dkr.ecr.eu-west-2.amazonaws.com",
                                                                "claims/api")),
    ("europe-west2-docker.pkg.dev/dwp-prod/apps/portal", ("europe-west2-docker.pkg.dev", "dwp-prod/apps/portal")),
])
def test_split_image(image: str, expected: tuple[str, str]) -> None:
    assert split_image(image) == expected


def test_split_image_keeps_the_host_of_tagged_references() -> None:
    assert split_image("nginx:1.27-alpine")[0] == "docker.io"
    assert split_image("registry.k8s.io/pause:3.9")[0] == "registry.k8s.io"
    assert split_image("eu.gcr.io/p/i:1")[0] == "eu.gcr.io"


def test_split_image_normalises_docker_hub_official_images() -> None:
    # Docker normalises docker.io/nginx to docker.io/library/nginx: the same official image as `nginx`.
    assert split_image("docker.io/nginx") == ("docker.io", "library/nginx")


@pytest.mark.parametrize(("image", "upstream"), [
    ("nginx:1.27-alpine", True),
    ("docker.io/library/busybox:1.36", True),
    ("docker.io/nginx:1.27", True),
    ("registry.k8s.io/ingress-nginx/controller:v1.10.1", True),
    ("quay.io/jetstack/cert-manager-controller:v1.15.0", True),
    ("mcr.microsoft.com/oss/kubernetes/pause:3.6", True),
    ("ghcr.io/acme/claims-api:v4.3.0", False),
    ("bitnami/redis:7.2", True),
    ("111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api:1", False),
])
def test_is_upstream(image: str, upstream: bool) -> None:
    assert is_upstream(image) is upstream


@pytest.mark.parametrize(("image", "cloud", "region", "uk"), [
    ("111122223333.dkr.ecr.us-east-1.amazonaws.com/claims/api:1", "aws", "us-east-1", False),
    ("111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api:1", "aws", "eu-west-2", True),
    ("111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com/claims/api:1", "aws", "us-gov-west-1", False),
    ("europe-west2-docker.pkg.dev/dwp-prod/apps/portal:8", "gcp", "europe-west2", True),
    ("us-central1-docker.pkg.dev/dwp-prod/apps/portal:8", "gcp", "us-central1", False),
    ("dwpacr.uksouth.data.azurecr.io/claims/api:1", "azure", "uksouth", True),
    ("dwpacr.westeurope.data.azurecr.io/claims/api:1", "azure", "westeurope", False),
])
def test_place_image_by_registry_region(image: str, cloud: str, region: str, uk: bool) -> None:
    location = place_image(image)
    assert (location.cloud, location.region, location.uk) == (cloud, region, uk)
    assert location.provenance == (f"image {image}", f"registry {image.split('/')[0]}")


def test_place_image_container_registry_multi_regions_are_outside_the_uk() -> None:
    eu = place_image("eu.gcr.io/dwp-legacy/pdf-renderer:1.12")
    assert (eu.cloud, eu.country, eu.uk) == ("gcp", "EU", False)
    assert place_image("gcr.io/dwp-legacy/x").uk is False
    assert place_image("asia.gcr.io/dwp-legacy/x").uk is False


@pytest.mark.parametrize("image", ["ghcr.io/acme/claims-api:v4.3.0", "quay.io/acme/api:1", "acme/api:1",
                                   "dwpacr.azurecr.io/claims/api:1", "harbor.contractor.example.com/dwp/api:1"])
def test_place_image_unknown_registries_are_unresolved_never_uk(image: str) -> None:
    location = place_image(image)
    assert location.uk is None
    assert location.note and "offshore-scan.yaml" in location.note


def test_place_image_uses_the_endpoint_map() -> None:
    mapped = place_image("harbor.contractor.example.com/dwp/api:1", {"harbor.contractor.example.com": "GB"})
    assert (mapped.country, mapped.uk) == ("GB", True)
    abroad = place_image("harbor.contractor.example.com/dwp/api:1", {"harbor.contractor.example.com": "IN"})
    assert (abroad.country, abroad.uk) == ("IN", False)


# --- placement --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "cloud", "region", "uk"), [
    ("eu-west-2", "aws", "eu-west-2", True),
    ("eu-west-2a", "aws", "eu-west-2", True),
    ("eu-west-2c", "aws", "eu-west-2", True),
    ("eu-west-1", "aws", "eu-west-1", False),
    ("eu-west-1a", "aws", "eu-west-1", False),
    ("us-east-1a", "aws", "us-east-1", False),
    ("uksouth", "azure", "uksouth", True),
    ("uksouth-1", "azure", "uksouth", True),
    ("ukwest-3", "azure", "ukwest", True),
    ("uksouth-0", "azure", "uksouth", True),
    ("westeurope-2", "azure", "westeurope", False),
    ("westeurope", "azure", "westeurope", False),
    ("europe-west2", "gcp", "europe-west2", True),
    ("europe-west2-a", "gcp", "europe-west2", True),
    ("us-central1-b", "gcp", "us-central1", False),
    ("europe-west1-b", "gcp", "europe-west1", False),
])
def test_place_label_value(value: str, cloud: str, region: str, uk: bool) -> None:
    location = place_label_value(value, (f"nodeSelector topology.kubernetes.io/zone={value}",))
    assert (location.cloud, location.region, location.uk) == (cloud, region, uk)
    assert location.provenance == (f"nodeSelector topology.kubernetes.io/zone={value}",)


@pytest.mark.parametrize("value", ["on-prem-rack-4", "1", "london", "", "  "])
def test_place_label_value_unrecognised_is_unresolved_never_uk(value: str) -> None:
    location = place_label_value(value, ("where",))
    assert location.uk is None
    assert location.country is None
    assert location.note and "is not a region or zone" in location.note


def test_node_affinity_ands_expressions_and_ors_terms() -> None:
    from providers.kubernetes.placement import possible_places

    def spec(*terms: list[tuple[str, list[str]]]) -> dict[str, object]:
        return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": k, "operator": "In", "values": v} for k, v in term]} for term in terms
            ]}}}}

    region, zone = "topology.kubernetes.io/region", "topology.kubernetes.io/zone"
    anded = possible_places(spec([(region, ["eu-west-2"]), (zone, ["eu-west-2a", "eu-west-1a"])]))
    assert {p.region for p in anded} == {"eu-west-2"}
    ored = possible_places(spec([(zone, ["eu-west-2a"])], [(zone, ["eu-west-1a"])]))
    assert {p.region for p in ored} == {"eu-west-2", "eu-west-1"}
    assert possible_places({"nodeSelector": {"kubernetes.io/os": "linux"}}) == []


# --- node collectors, the agents table and chart provenance ----------------------------------------

DWP_WORKLOAD = dedent("""\
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
          annotations: {}
        spec:
          containers:
            - {name: api, image: "111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api:1"}
    """)


def _scan(text: str) -> dict:
    result = CliRunner().invoke(main, ["scan", "-", "--format", "json", "--cluster-region", "eu-west-2"], input=text,
                                catch_exceptions=False)
    return json.loads(result.stdout)


def test_chart_template_is_read_from_the_comment_that_opens_the_document() -> None:
    stream = dedent("""\
        ---
        # Source: shipper/templates/configmap.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: a}
        data:
          note: |
            # Source: not/a/template.yaml
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: b
        # Source: after/the/first/key.yaml
        """)
    manifests, _ = read_manifests(stream, "<stdin>")
    assert [m.chart_template for m in manifests] == ["shipper/templates/configmap.yaml", None]


def _datadog(env: str, annotations: str = "{}") -> str:
    return DWP_WORKLOAD.replace("annotations: {}", f"annotations: {annotations}") + dedent(f"""\
        ---
        # Source: datadog/templates/daemonset.yaml
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {{name: datadog, namespace: datadog}}
        spec:
          selector: {{matchLabels: {{app: datadog}}}}
          template:
            metadata: {{labels: {{app: datadog}}}}
            spec:
              containers:
                - name: agent
                  image: gcr.io/datadoghq/agent:7
                  env: {env}
              volumes:
                - {{name: logpodpath, hostPath: {{path: /var/log/pods}}}}
        """)


def test_node_agent_flow_names_the_workload_the_agent_and_the_chart_template() -> None:
    report = _scan(_datadog('[{name: DD_SITE, value: datadoghq.eu}]'))
    [finding] = [f for f in report["findings"] if f["rule_id"] == "OFS-DIAG-001"]
    assert finding["resource"] == "Deployment/claims/claims-api"
    assert finding["declared_by"] == "DaemonSet/datadog/datadog"
    assert "from chart template datadog/templates/daemonset.yaml" in finding["provenance"]


def test_datadog_agent_metrics_excluded_by_namespace_carry_nothing() -> None:
    env = '[{name: DD_SITE, value: datadoghq.eu}, {name: DD_CONTAINER_EXCLUDE, value: "kube_namespace:^claims$"}]'
    assert not [f for f in _scan(_datadog(env))["findings"] if f["rule_id"] == "OFS-DIAG-001"]


def test_datadog_logs_without_collect_all_read_only_opted_in_pods() -> None:
    env = ('[{name: DD_SITE, value: datadoghq.eu}, {name: DD_LOGS_ENABLED, value: "true"}, '
           '{name: DD_CONTAINER_EXCLUDE_METRICS, value: "kube_namespace:.*"}]')
    assert not [f for f in _scan(_datadog(env))["findings"] if f["rule_id"] == "OFS-DIAG-001"]
    opted = _scan(_datadog(env, '{ad.datadoghq.com/api.logs: \'[{"source": "java"}]\'}'))
    assert [f["target"]["region"] for f in opted["findings"] if f["rule_id"] == "OFS-DIAG-001"] == ["datadoghq.eu"]


def test_vector_selector_that_picks_the_dwp_namespace_carries_its_logs() -> None:
    text = DWP_WORKLOAD + dedent("""\
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: vector, namespace: vector}
        data:
          agent.yaml: |
            sources:
              k8s: {type: kubernetes_logs, extra_namespace_label_selector: "kubernetes.io/metadata.name in (claims)"}
            sinks:
              nr: {type: new_relic, inputs: [k8s], region: eu}
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: vector, namespace: vector}
        spec:
          selector: {matchLabels: {app: vector}}
          template:
            metadata: {labels: {app: vector}}
            spec:
              containers: [{name: vector, image: timberio/vector:0.40.0}]
              volumes:
                - {name: config, configMap: {name: vector}}
                - {name: var-log, hostPath: {path: /var/log}}
        """)
    findings = [f for f in _scan(text)["findings"] if f["rule_id"] == "OFS-DIAG-001"]
    assert [(f["resource"], f["declared_by"]) for f in findings] == [("Deployment/claims/claims-api",
                                                                      "DaemonSet/vector/vector")]


def test_log_collector_without_configuration_in_the_input_is_unknown() -> None:
    text = DWP_WORKLOAD + dedent("""\
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: fluent-bit, namespace: logging}
        spec:
          selector: {matchLabels: {app: fluent-bit}}
          template:
            metadata: {labels: {app: fluent-bit}}
            spec:
              containers: [{name: fluent-bit, image: cr.fluentbit.io/fluent/fluent-bit:3.1}]
              volumes:
                - {name: config, configMap: {name: fluent-bit}}
                - {name: pods, hostPath: {path: /var/log/pods}}
        """)
    [finding] = [f for f in _scan(text)["findings"] if f["rule_id"] == "OFS-UNK-001"]
    assert finding["resource"] == "Deployment/claims/claims-api"
    assert "logging/fluent-bit it mounts is not in the scanned input" in finding["message"]


def test_alloy_destinations_are_read_inside_sending_components_only() -> None:
    from providers.kubernetes.alloy import destinations
    text = dedent("""\
        otelcol.receiver.otlp "in" {
          http { endpoint = "0.0.0.0:4318" }
        }
        prometheus.remote_write "cloud" {
          endpoint {
            url = "https://prometheus-prod-13-prod-us-east-0.grafana.net/api/prom/push"
          }
        }
        loki.write "cloud" {
          endpoint { url = sys.env("LOKI_URL") }
        }
        """)
    found = destinations("config.alloy", text)
    assert [(label, e.uk) for label, e in found] == [
        ("config.alloy prometheus.remote_write url", False), ("config.alloy loki.write url", None)]


def test_agents_table_recognises_images_from_any_registry_and_reads_defaults() -> None:
    from providers.semantics import agents
    agent = agents.recognise("registry.datadoghq.com/agent:7.81.1")
    assert agent is not None and agent.vendor == "Datadog" and agent.node
    [(setting, endpoint)] = agents.destinations(agent, {})
    assert (setting, endpoint.host, endpoint.uk) == ("DD_SITE", "datadoghq.com", False)
    newrelic = agents.recognise("newrelic/infrastructure-bundle:3")
    assert newrelic is not None
    [(_, eu)] = agents.destinations(newrelic, {"NRIA_LICENSE_KEY": "eu01xxdeadbeef"})
    assert eu.site == "EU"
    assert agents.recognise("nginx:1.27") is None
