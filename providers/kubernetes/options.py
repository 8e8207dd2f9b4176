"""What the Kubernetes adapter takes from the command line (or the config) besides its input."""

from __future__ import annotations

from dataclasses import dataclass

from providers.interface import OptionError
from providers.semantics import geography


@dataclass(frozen=True)
class KubernetesOptions:
    """Where the cluster the manifests land on runs."""

    cluster_region: str | None = None
    """The cluster's region (``--cluster-region`` or the config's ``cluster_region``), if known. Workloads
    that say nothing about placement are judged against it; without it they are not judged."""
    upstream_images: tuple[str, ...] = ()
    """Image prefixes (``registry/repository``) the config's ``upstream_images`` adds to the built-in list of
    vendor and upstream-project images, whose hosting is not DWP's."""

    @classmethod
    def from_command_line(cls, cluster_region: str | None, upstream_images: tuple[str, ...] = ()) -> KubernetesOptions:
        """The options for ``--cluster-region``; ``OptionError`` when it is no region or zone of any cloud."""
        if cluster_region and not any(geography.place_region(cloud, cluster_region).known
                                      for cloud in ("aws", "azure", "gcp")):
            raise OptionError(f"--cluster-region {cluster_region!r} is not a region or zone of AWS, Azure or GCP "
                              "(for example eu-west-2, uksouth or europe-west2)")
        return cls(cluster_region or None, tuple(upstream_images))
