"""Drop a ``DependsOn`` entry that a ``Ref`` or ``GetAtt`` of the same resource already implies.

Some aws-cdk-lib L2s make their resource depend on a whole construct (``lambda.Function`` on its
role, so the role's default policy exists before the function; ``ecs.BaseService`` on the
listener, so the target group is attached to the load balancer). That construct also holds a
resource the properties already reference (the role: ``GetAtt Role.Arn``; the target group, a
child of the listener: ``Ref``), and cfn-lint reports the redundant entry as W3005. Construct
dependencies become ``DependsOn`` only while the app is prepared for synthesis, so the entry
cannot be removed when the construct is built; a lazy override renders ``DependsOn`` after
preparation from the real dependency list minus the implied ones. Every other dependency stays.
"""

from __future__ import annotations

import jsii
from aws_cdk import CfnResource, IResolveContext, IStableListProducer, Lazy, Stack


@jsii.implements(IStableListProducer)
class _DependsOnWithout:
    def __init__(self, resource: CfnResource, implied: tuple[CfnResource, ...]) -> None:
        self._resource = resource
        self._implied = {r.node.path for r in implied}

    def produce(self, context: IResolveContext | None = None) -> list[str] | None:
        stack = Stack.of(self._resource)
        kept = [
            stack.resolve(dependency.logical_id)
            for dependency in self._resource.obtain_dependencies()
            if isinstance(dependency, CfnResource) and dependency.node.path not in self._implied
        ]
        # Sorted like aws-cdk-lib renders DependsOn; no key at all when nothing is left.
        return sorted(kept) or None


def drop_implied_dependencies(resource: CfnResource, *implied: CfnResource) -> None:
    """Render ``resource``'s ``DependsOn`` without ``implied`` (resources its properties reference)."""
    resource.add_override("DependsOn", Lazy.list(_DependsOnWithout(resource, implied)))
