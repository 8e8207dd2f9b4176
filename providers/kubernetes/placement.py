"""Where a pod may run: node selectors and affinity on region/zone labels, volumes, the cluster region.

Region and zone label values come in each cloud's own form (EKS ``eu-west-2``/``eu-west-2a``, AKS
``uksouth``/``uksouth-1``, GKE ``europe-west2``/``europe-west2-a``); ``place_label_value`` finds the
cloud whose catalogue knows the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from providers.kubernetes.workloads import as_dict
from providers.semantics import geography
from scanner.model import Location

REGION_LABELS = frozenset({
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.ebs.csi.aws.com/zone",
    "topology.disk.csi.azure.com/zone",
    "topology.gke.io/zone",
})

_AKS_ZONE = re.compile(r"^([a-z0-9]+)-\d$")


def place_label_value(value: str, provenance: tuple[str, ...]) -> Location:
    """A region or zone label value as a location; an unrecognised value is unresolved, never UK."""
    text = value.strip()
    candidates: list[tuple[str, str]] = [("aws", text), ("gcp", text), ("azure", text)]
    aks = _AKS_ZONE.match(text.lower())
    if aks:
        candidates.append(("azure", aks.group(1)))  # AKS zones are "<region>-<n>"; "-0" means non-zonal
    for cloud, name in candidates:
        if geography.place_region(cloud, name).known:
            return geography.locate(cloud, name, provenance)
    return Location("kubernetes", text, None, None, provenance,
                    f"{text!r} is not a region or zone of AWS, Azure or GCP")


def cluster_location(region: str) -> Location:
    """The ``--cluster-region`` given by the user."""
    return place_label_value(region, (f"--cluster-region {region}",))


def possible_places(spec: dict[str, Any]) -> list[Location]:
    """Every place the scheduler may put the pod, from nodeSelector and required node affinity.

    Kubernetes ANDs the nodeSelector with each affinity term and the expressions inside a term, and
    ORs the terms: ``region In [eu-west-2]`` with ``zone In [eu-west-2a, eu-west-1a]`` can only land in
    eu-west-2a. Empty when nothing constrains the region.
    """
    fixed = [
        [place_label_value(str(value), (f"nodeSelector {label}={value}",))]
        for label, value in as_dict(spec.get("nodeSelector")).items()
        if label in REGION_LABELS and value is not None
    ]
    affinity = as_dict(as_dict(spec.get("affinity")).get("nodeAffinity"))
    required = as_dict(affinity.get("requiredDuringSchedulingIgnoredDuringExecution"))
    terms = [
        [[place_label_value(v, (where,)) for v in values]
         for _, values, where in _expressions(as_dict(term).get("matchExpressions") or [], "nodeAffinity")]
        for term in required.get("nodeSelectorTerms") or []
    ] or [[]]
    places: list[Location] = []
    for term in terms:
        places.extend(_satisfying(fixed + term))
    return places


def _satisfying(constraints: list[list[Location]]) -> list[Location]:
    if not constraints:
        return []
    unresolved = [p for options in constraints for p in options if p.uk is None]
    if unresolved:
        return unresolved
    regions = set.intersection(*({p.region for p in options} for options in constraints))
    # The most specific constraint (zones, which carry their region) names the places.
    narrowest = min(constraints, key=len)
    return [p for p in narrowest if p.region in regions]


def _expressions(expressions: Iterable[Any], where: str) -> Iterator[tuple[str, list[str], str]]:
    for expression in expressions:
        if not isinstance(expression, dict):
            continue
        label = expression.get("key")
        operator = expression.get("operator", "In")
        values = [str(v) for v in expression.get("values") or []]
        if label in REGION_LABELS and operator == "In" and values:
            yield label, values, f"{where} {label} In {values}"


def topology_values(allowed_topologies: Any) -> Iterator[tuple[str, list[str], str]]:
    """(label, values, where) from a StorageClass's ``allowedTopologies``."""
    for term in allowed_topologies or []:
        for expression in (term or {}).get("matchLabelExpressions") or []:
            label = expression.get("key")
            values = [str(v) for v in expression.get("values") or []]
            if label in REGION_LABELS and values:
                yield label, values, f"allowedTopologies {label} In {values}"


def worst(locations: list[Location]) -> Location | None:
    """Of several places a pod may be scheduled, the one to judge: any outside the UK, then any unknown."""
    if not locations:
        return None
    for wanted in (False, None, True):
        for location in locations:
            if location.uk is wanted:
                return location
    return locations[0]
