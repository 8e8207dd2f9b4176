"""The estate map: who each account, tenant, principal and network belongs to, and in which country.

Static configuration cannot tell where a principal sits: an AWS account id or an Entra tenant id
says nothing about the people behind it. The user says so in the config file; a short built-in
list (``data/known_principals.yaml``) recognises the integration accounts of common vendors.
Anything external that neither places is reported as ``unknown``, never as a pass.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from providers.semantics.data_files import data_text
from scanner.yaml_data import load_yaml


@dataclass(frozen=True)
class Party:
    """Who is behind an account, tenant, principal, issuer or network."""

    owner: str
    """The organisation: ``Contractor Ltd (Bangalore delivery centre)``, ``Datadog``."""
    country: str | None
    """ISO alpha-2 country of its staff and systems; None when the map says it is unknown."""
    source: str
    """``estate map`` (the user's config) or ``known vendor`` (built in)."""
    note: str | None = None
    """Anything the report should repeat (what the vendor account is for)."""


@dataclass(frozen=True)
class EstateMap:
    """Parties by identifier; the config file's ``estate`` section plus the built-in vendors."""

    accounts: Mapping[str, Party] = field(default_factory=dict)
    """AWS account ids (12 digits) and GCP project ids."""
    tenants: Mapping[str, Party] = field(default_factory=dict)
    """Entra (Azure AD) tenant ids and Azure subscription ids."""
    principals: Mapping[str, Party] = field(default_factory=dict)
    """Individual principals: role ARNs, object ids, e-mail addresses, OIDC issuers."""
    networks: Mapping[str, Party] = field(default_factory=dict)
    """CIDR blocks or IP addresses of far ends (customer gateways, VPN peers)."""
    locations: Mapping[str, Party] = field(default_factory=dict)
    """Direct Connect / ExpressRoute location names or codes the user has placed."""

    def account(self, account_id: str) -> Party | None:
        """The party behind an AWS account or GCP project id."""
        return self.accounts.get(account_id) or known_vendors().accounts.get(account_id)

    def tenant(self, tenant_id: str) -> Party | None:
        """The party behind an Entra tenant or Azure subscription."""
        return self.tenants.get(tenant_id.lower()) or self.tenants.get(tenant_id)

    def principal(self, principal: str) -> Party | None:
        """The party behind a principal id, ARN, e-mail or OIDC issuer."""
        issuer = principal.removeprefix("https://").rstrip("/")
        return (
            self.principals.get(principal)
            or self.principals.get(issuer)
            or known_vendors().principals.get(issuer)
        )

    def network(self, address: str) -> Party | None:
        """The party whose network contains an IP address (longest prefix wins)."""
        try:
            ip = ipaddress.ip_address(address.split("/")[0])
        except ValueError:
            return self.networks.get(address)
        best: tuple[int, Party] | None = None
        for cidr, party in self.networks.items():
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                continue
            if ip in network and (best is None or network.prefixlen > best[0]):
                best = (network.prefixlen, party)
        return best[1] if best else None

    def location(self, name: str) -> Party | None:
        """The party/country the user gave a Direct Connect or ExpressRoute location."""
        return self.locations.get(name) or self.locations.get(name.lower())


@functools.cache
def known_vendors() -> EstateMap:
    """The built-in vendor accounts and OIDC issuers."""
    raw = load_yaml(data_text("known_principals.yaml"))
    return EstateMap(
        accounts={k: _vendor(v) for k, v in raw["aws_accounts"].items()},
        principals={k: _vendor(v) for k, v in raw["oidc_issuers"].items()},
    )


def _vendor(entry: Mapping[str, str]) -> Party:
    return Party(entry["owner"], entry.get("country"), "known vendor", entry.get("note"))
