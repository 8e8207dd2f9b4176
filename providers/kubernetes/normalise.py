"""Normalise Kubernetes manifests into the scanner's ``Inventory``: pure, manifests in, inventory out.

What becomes what:
- a workload (Deployment, StatefulSet, Pod, Job...) is a resource, placed by its node selectors and
  affinity, by the topology of the volumes it mounts, or by ``--cluster-region``;
- each container image of a DWP workload is a resource hosted where its registry is;
- a PersistentVolume is a resource placed by its node affinity or volume handle;
- StorageClass redundancy (Azure File GRS SKUs) is a replication flow of the workloads using it;
- ExternalName services, Istio ServiceEntries and Cilium ``toFQDNs`` are egress flows;
- telemetry settings (container env, collector ConfigMaps, Datadog resources) are diagnostics flows
  (``telemetry.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from providers.interface import ScanOptions
from providers.kubernetes import alertmanager, instrumentation, node_agents, placement, registries, telemetry
from providers.kubernetes.graph import ClusterGraph
from providers.kubernetes.manifests import Manifest
from providers.kubernetes.workloads import (
    WORKLOAD_KINDS,
    address,
    chart_provenance,
    containers,
    labels_and_annotations,
    namespace,
    pod_spec,
    pod_template,
)
from providers.semantics import geography
from providers.semantics.endpoints import place_endpoint
from scanner.model import (
    NOT_DWP,
    Classification,
    CoverageGap,
    Flow,
    FlowKind,
    Inventory,
    Location,
    Resource,
    SourceRef,
)

_GEO_SKUS = re.compile(r"_(RA)?G(Z)?RS$", re.IGNORECASE)


@dataclass
class _Scan:
    manifests: Sequence[Manifest]
    options: ScanOptions
    cluster_region: str | None
    upstream_images: tuple[str, ...] = ()
    resources: list[Resource] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    notes: list[CoverageGap] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.namespaces = {m.name: m for m in self.manifests if m.kind == "Namespace"}
        self.by_kind_name: dict[tuple[str, str, str], Manifest] = {
            (m.kind, namespace(m), m.name): m for m in self.manifests
        }
        self.extra = dict(self.options.endpoints)

    def classify(self, manifest: Manifest) -> Classification:
        """Whether an object is DWP: its own labels, its pod template's, or its namespace's."""
        return _classify(self, manifest)

    def namespace_labels(self, name: str) -> dict[str, str] | None:
        """A namespace's labels, or None when its Namespace object is not in the input."""
        found = self.namespaces.get(name)
        if found is None:
            return None
        labels = found.metadata.get("labels")
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def to_inventory(
    manifests: Sequence[Manifest],
    options: ScanOptions,
    cluster_region: str | None,
    gaps: Sequence[CoverageGap] = (),
    scanned: Sequence[str] = (),
    upstream_images: tuple[str, ...] = (),
) -> Inventory:
    """The inventory of a set of manifests (one file, a directory, or a rendered chart)."""
    scan = _Scan(manifests, options, cluster_region, upstream_images)
    unplaced: list[str] = []
    dwp_workloads: list[Resource] = []
    readable: list[Manifest] = []
    for manifest in manifests:
        try:
            _object(scan, manifest, dwp_workloads, unplaced)
        except _SHAPE_ERRORS as error:
            scan.notes.append(_shape_gap(manifest, error))
            continue
        readable.append(manifest)
    sources = telemetry.sources_of(readable)
    graph = ClusterGraph(readable, scan.extra)
    if scan.cluster_region:
        where = placement.cluster_location(scan.cluster_region)
        graph.cluster = (where.country, where.uk)
    collectors = node_agents.carriers(readable, graph, sources, scan.extra) if dwp_workloads else []
    carried = node_agents.carried_configs(collectors)
    scan.notes.extend(gap for collector in collectors for gap in collector.gaps)
    for manifest in readable:
        try:
            scan.flows.extend(telemetry.flows([manifest], scan.classify, dwp_workloads, scan.extra, sources, graph))
            scan.resources.extend(telemetry.collector_resources([manifest], scan.classify, dwp_workloads, carried))
        except _SHAPE_ERRORS as error:
            scan.notes.append(_shape_gap(manifest, error))
    by_id = {address(m): m for m in readable if m.kind in WORKLOAD_KINDS}
    dwp = [(w, by_id[w.id]) for w in dwp_workloads if w.id in by_id]
    scan.flows.extend(node_agents.flows(collectors, dwp, scan.namespace_labels))
    if dwp:
        alert_configs, alert_gaps = alertmanager.read(readable, sources, scan.extra, scan.namespace_labels)
        scan.notes.extend(alert_gaps)
        scan.flows.extend(alertmanager.flows(alert_configs, alertmanager.feeders(readable), dwp, scan.namespace_labels))
        scan.flows.extend(instrumentation.flows(readable, dwp, lambda e, ns: node_agents.followed(e, ns, graph),
                                                scan.extra))
    if unplaced:
        shown = ", ".join(unplaced[:5]) + (f" and {len(unplaced) - 5} more" if len(unplaced) > 5 else "")
        scan.notes.append(CoverageGap(
            scanned[0] if scanned else "<manifests>", None,
            f"{len(unplaced)} DWP workload(s) say nothing about where they run ({shown}); pass --cluster-region "
            "(e.g. --cluster-region eu-west-2) to judge them against the cluster's region",
            kind="note",
        ))
    return Inventory(
        resources=tuple(scan.resources),
        flows=tuple(scan.flows),
        coverage=tuple(gaps) + tuple(scan.notes),
        scanned=tuple(scanned),
    )


# A manifest whose fields have the wrong shape (a string where a list belongs) is reported and
# skipped; the API server would reject it, and it must not cost the other objects their findings.
_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, ValueError, IndexError)


def _shape_gap(manifest: Manifest, error: Exception) -> CoverageGap:
    return CoverageGap(manifest.path, manifest.line,
                       f"{address(manifest)} could not be read: a field has an unexpected shape ({error})")


def _object(scan: _Scan, manifest: Manifest, dwp_workloads: list[Resource], unplaced: list[str]) -> None:
    if manifest.kind in WORKLOAD_KINDS:
        workload = _workload(scan, manifest)
        if workload.classification.dwp:
            dwp_workloads.append(workload)
            if not workload.placement_judged:
                unplaced.append(workload.id)
    elif manifest.kind == "PersistentVolume":
        scan.resources.append(_persistent_volume(scan, manifest))
    elif manifest.kind == "StorageClass":
        storage_class = _storage_class_resource(scan, manifest)
        if storage_class is not None:
            scan.resources.append(storage_class)
    elif manifest.kind in ("Service", "ServiceEntry", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
        _egress(scan, manifest)


# --- classification --------------------------------------------------------------------------------


def _classify(scan: _Scan, manifest: Manifest) -> Classification:
    rules = scan.options.rules
    own = rules.classify(labels_and_annotations(manifest.metadata), noun="label")
    if own.dwp:
        return own
    template = pod_template(manifest)
    if template is not None:
        from_template = rules.classify(labels_and_annotations(template.get("metadata")), noun="label")
        if from_template.dwp:
            return Classification(True, f"pod template {from_template.reason}", from_template.marking)
    ns = namespace(manifest)
    ns_object = scan.namespaces.get(ns)
    if ns_object is not None:
        from_namespace = rules.classify(labels_and_annotations(ns_object.metadata), noun="label")
        if from_namespace.dwp:
            return Classification(True, f"namespace {ns}: {from_namespace.reason}", from_namespace.marking)
    scoped = rules.classify({}, [f"namespace/{ns}"])
    if scoped.dwp:
        return Classification(True, f"namespace {ns} is DWP (config)", None)
    return NOT_DWP


def _source(manifest: Manifest) -> SourceRef:
    return SourceRef(manifest.path, manifest.line, address(manifest))


# --- workloads -------------------------------------------------------------------------------------


def _workload(scan: _Scan, manifest: Manifest) -> Resource:
    classification = _classify(scan, manifest)
    spec = pod_spec(manifest)
    location, judged = _placement(scan, manifest, spec)
    location = replace(location, provenance=(*location.provenance, *chart_provenance(manifest)))
    workload = Resource(
        id=address(manifest),
        type=manifest.kind,
        location=location,
        classification=classification,
        source=_source(manifest),
        placement_judged=judged,
    )
    scan.resources.append(workload)
    if classification.dwp:
        scan.resources.extend(_images(scan, manifest, spec, classification))
        scan.flows.extend(_storage_flows(scan, manifest, spec, workload))
    return workload


def _placement(scan: _Scan, manifest: Manifest, spec: dict[str, Any]) -> tuple[Location, bool]:
    candidates = placement.possible_places(spec) + list(_volume_topology(scan, manifest, spec))
    chosen = placement.worst(candidates)
    if chosen is not None:
        return chosen, True
    if scan.cluster_region:
        return placement.cluster_location(scan.cluster_region), True
    return Location("kubernetes", None, None, None, (), "placement not stated; pass --cluster-region"), False


def _claims(manifest: Manifest, spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """(claim name, inline claim spec) of every PVC a workload mounts."""
    for volume in spec.get("volumes") or []:
        claim = (volume or {}).get("persistentVolumeClaim") or {}
        if claim.get("claimName"):
            yield str(claim["claimName"]), None
    if manifest.kind == "StatefulSet":
        for template in (manifest.data.get("spec") or {}).get("volumeClaimTemplates") or []:
            name = ((template or {}).get("metadata") or {}).get("name", "claim")
            yield str(name), (template or {}).get("spec") or {}


def _storage_class(scan: _Scan, manifest: Manifest, claim: str, inline: dict[str, Any] | None) -> Manifest | None:
    claim_spec = inline
    if claim_spec is None:
        pvc = scan.by_kind_name.get(("PersistentVolumeClaim", namespace(manifest), claim))
        claim_spec = (pvc.data.get("spec") or {}) if pvc else None
    if not claim_spec:
        return None
    name = claim_spec.get("storageClassName")
    if name is None:
        # No class named: the cluster's default class applies (an explicit "" means no class at all).
        return next((m for m in scan.manifests if m.kind == "StorageClass" and _is_default_class(m)), None)
    return scan.by_kind_name.get(("StorageClass", "default", str(name)))


def _is_default_class(storage_class: Manifest) -> bool:
    annotations = storage_class.metadata.get("annotations") or {}
    return str(annotations.get("storageclass.kubernetes.io/is-default-class", "")).lower() == "true"


def _volume_topology(scan: _Scan, manifest: Manifest, spec: dict[str, Any]) -> Iterator[Location]:
    for claim, inline in _claims(manifest, spec):
        storage_class = _storage_class(scan, manifest, claim, inline)
        if storage_class is None:
            continue
        for _, values, where in placement.topology_values(storage_class.data.get("allowedTopologies")):
            for value in values:
                yield placement.place_label_value(value, (f"volume {claim}", f"{address(storage_class)} {where}"))


def _storage_flows(scan: _Scan, manifest: Manifest, spec: dict[str, Any], workload: Resource) -> Iterator[Flow]:
    for claim, inline in _claims(manifest, spec):
        storage_class = _storage_class(scan, manifest, claim, inline)
        if storage_class is None:
            continue
        parameters = storage_class.data.get("parameters") or {}
        sku = str(parameters.get("skuName") or parameters.get("skuname") or "")
        if _GEO_SKUS.search(sku):
            yield Flow(
                resource_id=workload.id,
                kind=FlowKind.REPLICATION,
                target=_paired(workload.location, sku, address(storage_class)),
                description=f"Azure File {sku} storage class {storage_class.name} (volume {claim})",
                source=_source(storage_class),
            )
        key = str(parameters.get("kmsKeyId") or "")
        region = geography.aws_region_of_arn(key) if key else None
        if region:
            yield Flow(
                resource_id=workload.id,
                kind=FlowKind.REPLICATION,
                target=geography.locate("aws", region, (f"{address(storage_class)} kmsKeyId {key}",)),
                description=f"EBS volumes of storage class {storage_class.name} encrypted with a key in {region}",
                source=_source(storage_class),
            )


def _paired(primary: Location, sku: str, where: str) -> Location:
    if primary.region is None:
        return Location("azure", None, None, None, (f"{where} skuName {sku}",),
                        f"{sku} copies to the paired region of the cluster's region, which is "
                        "not known (pass --cluster-region)")
    if primary.cloud != "azure":
        return Location("azure", None, None, None, (f"{where} skuName {sku}",),
                        f"{sku} is an Azure storage SKU, but the workload runs in "
                        f"{primary.describe()}, not an Azure region; its paired region cannot be worked out")
    return geography.paired_copy(primary.region, sku, (f"{where} skuName {sku}",))


def _images(scan: _Scan, manifest: Manifest, spec: dict[str, Any], classification: Classification) -> list[Resource]:
    images = []
    seen: set[str] = set()
    for container in containers(spec):
        image = container.get("image")
        if not isinstance(image, str) or not image or image in seen:
            continue
        if registries.is_upstream(image, scan.upstream_images):
            continue
        seen.add(image)
        images.append(Resource(
            id=f"{address(manifest)}/image/{container.get('name', 'container')}",
            type="ContainerImage",
            location=registries.place_image(image, scan.extra),
            classification=Classification(True, f"image of a DWP workload ({classification.reason})",
                                          classification.marking),
            source=SourceRef(manifest.path, manifest.line_of(container), address(manifest)),
            part=f"container {container.get('name', 'container')} image {image}",
        ))
    return images


# --- storage ---------------------------------------------------------------------------------------


def _storage_class_resource(scan: _Scan, manifest: Manifest) -> Resource | None:
    """A StorageClass marked DWP itself (its own labels or annotations) is judged where its topology puts
    volumes; one that is not marked is judged through the workloads that use it."""
    classification = scan.options.rules.classify(labels_and_annotations(manifest.metadata), noun="label")
    if not classification.dwp:
        return None
    where = [placement.place_label_value(value, (f"{address(manifest)} {path}",))
             for _, values, path in placement.topology_values(manifest.data.get("allowedTopologies"))
             for value in values]
    chosen = placement.worst(where)
    if chosen is None:
        # No topology: volumes go wherever the cluster is, which the workloads using the class are judged by.
        chosen = placement.cluster_location(scan.cluster_region) if scan.cluster_region else None
    return Resource(address(manifest), manifest.kind,
                    chosen or Location("kubernetes", None, None, None, (), "placement not stated"),
                    classification, _source(manifest), placement_judged=chosen is not None)


def _persistent_volume(scan: _Scan, manifest: Manifest) -> Resource:
    spec = manifest.data.get("spec") or {}
    candidates = []
    node_affinity = ((spec.get("nodeAffinity") or {}).get("required") or {})
    for term in node_affinity.get("nodeSelectorTerms") or []:
        for _, values, where in placement._expressions(term.get("matchExpressions") or [], "nodeAffinity"):
            candidates += [placement.place_label_value(v, (where,)) for v in values]
    ebs = (spec.get("awsElasticBlockStore") or {}).get("volumeID", "")
    match = re.match(r"^aws://([a-z0-9-]+)/", str(ebs))
    if match:
        candidates.append(placement.place_label_value(match.group(1), (f"awsElasticBlockStore {ebs}",)))
    chosen = placement.worst(candidates)
    judged = chosen is not None or bool(scan.cluster_region)
    if chosen is None:
        chosen = placement.cluster_location(scan.cluster_region) if scan.cluster_region else Location(
            "kubernetes", None, None, None, (), "placement not stated")
    claim = spec.get("claimRef") or {}
    classification = scan.options.rules.classify(labels_and_annotations(manifest.metadata), noun="label")
    if not classification.dwp and claim.get("name"):
        pseudo = Manifest({"kind": "PersistentVolumeClaim", "apiVersion": "v1",
                           "metadata": {"name": claim["name"], "namespace": claim.get("namespace")}},
                          manifest.path, manifest.line)
        bound = scan.by_kind_name.get(("PersistentVolumeClaim", namespace(pseudo), str(claim["name"])))
        classification = _classify(scan, bound or pseudo)
    return Resource(address(manifest), "PersistentVolume", chosen, classification, _source(manifest),
                    placement_judged=judged)


# --- egress ----------------------------------------------------------------------------------------


def _egress(scan: _Scan, manifest: Manifest) -> None:
    classification = _classify(scan, manifest)
    hosts: list[tuple[str, str]] = []
    spec = manifest.data.get("spec") or {}
    if manifest.kind == "Service" and spec.get("type") == "ExternalName" and spec.get("externalName"):
        hosts.append((str(spec["externalName"]), "ExternalName service"))
    elif manifest.kind == "ServiceEntry":
        hosts += [(str(h), "Istio ServiceEntry") for h in spec.get("hosts") or [] if h]
    elif manifest.kind.startswith("Cilium"):
        for rule in spec.get("egress") or []:
            for fqdn in (rule or {}).get("toFQDNs") or []:
                name = fqdn.get("matchName") or fqdn.get("matchPattern")
                if name:
                    hosts.append((str(name), "Cilium toFQDNs"))
    if not hosts:
        return
    resource = Resource(address(manifest), manifest.kind, Location("kubernetes", None, None, None, ()),
                        classification, _source(manifest), holds_data=False)
    scan.resources.append(resource)
    for host, what in hosts:
        endpoint = place_endpoint(host, scan.extra)
        scan.flows.append(Flow(
            resource_id=resource.id,
            kind=FlowKind.EGRESS,
            target=Location("external", endpoint.host, endpoint.country, endpoint.uk,
                            (f"{what} {host}", *chart_provenance(manifest)), endpoint.note),
            description=f"{what} to {host}",
            source=_source(manifest),
        ))
