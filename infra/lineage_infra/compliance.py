"""Scanner suppressions that must carry their reason next to the resource they apply to."""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct

__all__ = ["skip_checkov"]


def skip_checkov(construct: IConstruct, *skips: tuple[str, str]) -> None:
    """Record checkov skips `(check id, reason)` in the CloudFormation resource's Metadata.

    `construct` is an L1 resource or an L2 whose default child is one. The reason is mandatory:
    a skip without one is a finding hidden, not a decision recorded.
    """
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path}: no CloudFormation resource to annotate")
    for check_id, reason in skips:
        if not reason.strip():
            raise ValueError(f"{construct.node.path}: checkov skip {check_id} needs a reason")
    existing = resource.get_metadata("checkov") or {"skip": []}
    existing["skip"].extend({"id": cid, "comment": reason} for cid, reason in skips)
    resource.add_metadata("checkov", existing)
