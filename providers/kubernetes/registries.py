"""Where a container image is hosted, from its registry host."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from providers.semantics import geography
from providers.semantics.data_files import data_text
from scanner.model import Location
from scanner.yaml_data import load_yaml

_ECR = re.compile(r"^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
_ARTIFACT_REGISTRY = re.compile(r"^([a-z0-9-]+)-docker\.pkg\.dev$")
_GCR = {"gcr.io": "US", "us.gcr.io": "US", "eu.gcr.io": "EU", "asia.gcr.io": None}
_ACR_DATA = re.compile(r"^[a-z0-9]+\.([a-z0-9]+)\.data\.azurecr\.io$")
_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
VENDOR_GLOBAL = frozenset({"docker.io", "registry-1.docker.io", "index.docker.io", "ghcr.io", "quay.io",
                           "public.ecr.aws", "registry.gitlab.com", "mcr.microsoft.com", "registry.k8s.io",
                           "gcr.io/distroless"})


@functools.cache
def _upstream() -> tuple[str, ...]:
    text = data_text("upstream_images.yaml")
    return tuple(load_yaml(text)["upstream_images"])


def split_image(image: str) -> tuple[str, str]:
    """(registry host, repository path) of an image reference, with Docker Hub's defaults."""
    reference = image.split("@", 1)[0]
    first, _, rest = reference.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        return "docker.io", reference if rest else f"library/{reference}"
    host = first.lower()
    if host in _DOCKER_HUB:
        return "docker.io", rest if "/" in rest else f"library/{rest}"
    return host, rest


def is_upstream(image: str, extra: tuple[str, ...] = ()) -> bool:
    """Official and upstream-project images (``nginx``, ``registry.k8s.io/...``,
    ``providers/semantics/data/upstream_images.yaml``
    and the config's ``upstream_images``): not DWP-built."""
    host, path = split_image(image)
    return f"{host}/{path}".startswith(_upstream() + extra)


def place_image(image: str, extra: Mapping[str, str] | None = None) -> Location:
    """The registry's location, ``unknown`` for vendor-global and private registries."""
    host, _ = split_image(image)
    provenance = (f"image {image}", f"registry {host}")
    mapped = (extra or {}).get(host)
    if mapped:
        return Location("external", host, mapped, mapped == "GB", provenance, f"{host} mapped in offshore-scan.yaml")
    for pattern, cloud in ((_ECR, "aws"), (_ARTIFACT_REGISTRY, "gcp"), (_ACR_DATA, "azure")):
        match = pattern.match(host)
        if match:
            return geography.locate(cloud, match.group(1), provenance)
    if host in _GCR:
        country = _GCR[host]
        return Location("gcp", host, country, False, provenance, f"{host} is a multi-regional Container Registry host")
    if host.endswith(".azurecr.io"):
        return Location("azure", None, None, None, provenance,
                        f"{host} does not say its region; check the registry's location and "
                        "geo-replications, or map it under endpoints in offshore-scan.yaml")
    if host in VENDOR_GLOBAL:
        return Location("external", host, None, None, provenance,
                        f"{host} is a vendor-global registry; where it stores images is not "
                        "stated (map it under endpoints in offshore-scan.yaml)")
    return Location("external", host, None, None, provenance,
                    f"registry {host} is not known; map it under endpoints in offshore-scan.yaml")
