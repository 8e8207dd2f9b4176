"""AWS RAM: the account's resource shares in one region, what each shares and with whom.

``GetResourceShares`` (``resourceOwner=SELF``), then ``GetResourceShareAssociations`` twice, by association type:
``RESOURCE`` (what each share holds; IAM ``ram:GetResourceShareAssociations``, the same answer as
``ListResources``, in one call for every share) and ``PRINCIPAL`` (the accounts, organisation, OUs or IAM
principals it is shared with). They become ``aws_ram_resource_share``, ``aws_ram_resource_association`` and
``aws_ram_principal_association``, judged as Terraform's are: each principal reaches each resource of the share,
placed by the estate map. Three calls a region holding DWP resources, whatever the number of shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord, Unknown

SERVICE = "ram"
_LIVE = ("ASSOCIATED", "ASSOCIATING")
"""Association states that give (or are about to give) access; FAILED, DISASSOCIATING and DISASSOCIATED do not."""
_GONE = ("DELETING", "DELETED", "FAILED")


def fetch_shares(work: Work) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("get_resource_shares", "resourceShares", expect=("resourceShareArn",),
                                      resourceOwner="SELF")


def fetch_associations(work: Work, kind: str) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("get_resource_share_associations", "resourceShareAssociations",
                                      expect=("resourceShareArn", "associatedEntity"), associationType=kind)


def _share(scope: Scope, item: Mapping[str, Any]) -> ResourceRecord:
    values = {"name": item.get("name"), "allow_external_principals": item.get("allowExternalPrincipals"),
              "tags": {t["key"]: t.get("value") for t in item.get("tags") or []
                       if isinstance(t, Mapping) and "key" in t}}
    return live_record(scope, str(item["resourceShareArn"]), "aws_ram_resource_share", values,
                       "ram:GetResourceShares", fields={"allow_external_principals": "allowExternalPrincipals"})


def _association(scope: Scope, share: str, kind: str, entity: Any, stand_in: bool = False) -> ResourceRecord:
    # An entity nobody knows is named in words in the address, never by its repr.
    named = "(unknown)" if isinstance(entity, Unknown) else entity
    if kind == "RESOURCE":
        return live_record(scope, "", "aws_ram_resource_association",
                           {"resource_arn": entity, "resource_share_arn": share},
                           "ram:GetResourceShareAssociations", address=f"{share}?resource={named}",
                           fields={"resource_arn": "resourceShareAssociations[].associatedEntity"}, stand_in=stand_in)
    return live_record(scope, "", "aws_ram_principal_association", {"principal": entity, "resource_share_arn": share},
                       "ram:GetResourceShareAssociations", address=f"{share}?principal={named}",
                       fields={"principal": "resourceShareAssociations[].associatedEntity"}, stand_in=stand_in)


def _unknown_share(scope: Scope, arns: tuple[str, ...], failed: Failed) -> list[ResourceRecord]:
    """Shares that could not be read: each DWP resource of the region may be shared with principals nobody knows."""
    share = f"arn:aws:ram:{scope.region}:{scope.account}:resource-share/(unlisted)"
    record = live_record(scope, share, "aws_ram_resource_share", {"name": "(unlisted)",
                                                                  "allow_external_principals": None, "tags": {}},
                         f"ram:{failed.operation}", stand_in=True)
    regional = [a for a in arns if (p := parse_arn(a)) is not None and p.region == scope.region]
    return [record, _association(scope, share, "PRINCIPAL", failed.unknown("who the region's resources are "
                                                                             "shared with through AWS RAM"), True),
            *(_association(scope, share, "RESOURCE", arn, True) for arn in regional)]


def translate(scope: Scope, shares: list[Any], resources: list[Any], principals: list[Any]) -> list[ResourceRecord]:
    """The shares still in force, with the resources and principals associated with each."""
    kept = {str(s["resourceShareArn"]): s for s in shares
            if isinstance(s, Mapping) and s.get("status") not in _GONE}
    records = [_share(scope, item) for item in kept.values()]
    for kind, associations in (("RESOURCE", resources), ("PRINCIPAL", principals)):
        for item in associations:
            if isinstance(item, Mapping) and item["resourceShareArn"] in kept and item.get("status", "ASSOCIATED") \
                    in _LIVE:
                records.append(_association(scope, str(item["resourceShareArn"]), kind, item["associatedEntity"]))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """RAM in one (account, region) holding DWP resources: a failed read is a share of every DWP resource of the
    region with unknown principals, never none."""
    shares = fetch_shares(work)
    if isinstance(shares, Failed):
        return _unknown_share(work.scope, work.arns, shares)
    if not shares:
        return []
    resources, principals = fetch_associations(work, "RESOURCE"), fetch_associations(work, "PRINCIPAL")
    records = translate(work.scope, shares, [] if isinstance(resources, Failed) else resources or [],
                        [] if isinstance(principals, Failed) else principals or [])
    for failed in (resources, principals):
        if isinstance(failed, Failed):
            records.extend(_unknown_share(work.scope, work.arns, failed))
            break
    return records
