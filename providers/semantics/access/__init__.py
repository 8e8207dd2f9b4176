"""Access: principals of other accounts, tenants and organisations that can reach a resource.

Hook used by ``normalise``: ``grants`` reads trust policies, resource policies, role assignments and
delegated-management definitions, and places each principal through the estate map.

A principal is *internal* (listed, never a finding) when it is inside the estate: an AWS service, an
identity this configuration creates or looks up in its own account or tenant, the resource's own
account, or an account/subscription the config lists as DWP. Anything else is placed by
``context.estate`` (the user's map plus the built-in vendor accounts and OIDC issuers); what it does
not place keeps country None, which the access policy reports as unknown. The resource a grant is
against is the one reached: the role or resource the policy belongs to, and also the DWP resources a
role's attached policies name, that a KMS key encrypts, that a RAM share holds, or that an Azure
scope contains.

One module per cloud (``aws``, ``azure``) over what they share (``common``); AWS principals and the
conditions that narrow ``Principal: "*"`` have their own modules. The names they read (which attribute
of which type holds a resource policy, which condition keys confine a statement, which data sources
answer from the estate's own account) are data: ``resource_map/access.yaml``, loaded by ``tables``.
"""

from __future__ import annotations

from collections.abc import Iterator

from providers.semantics.access import aws, azure
from providers.semantics.access.common import distinct, severity_order
from providers.semantics.context import NormaliseContext
from providers.semantics.records import ResourceRecord
from scanner.model import Grant

__all__ = ["grants"]


def grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """The grants one record declares."""
    if record.mode != "managed":
        # Data sources (policy documents, lookups) are read where a managed resource refers to them.
        return iter(())
    handler = aws.handler(record.type) or azure.handler(record.type)
    if handler is None:
        return iter(())
    # Outside the UK first, then not placed: of several grants on one resource, the report may keep only one.
    return iter(sorted(distinct(handler(context, record)), key=severity_order))
