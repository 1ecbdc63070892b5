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

from collections.abc import Callable

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, IResolveContext, IStableListProducer, Lazy, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct


@jsii.implements(IStableListProducer)
class _DependsOnWithout:
    def __init__(self, resource: CfnResource, implied: Callable[[CfnResource], bool]) -> None:
        self._resource = resource
        self._implied = implied

    def produce(self, context: IResolveContext | None = None) -> list[str] | None:
        stack = Stack.of(self._resource)
        kept = [
            stack.resolve(dependency.logical_id)
            for dependency in self._resource.obtain_dependencies()
            if isinstance(dependency, CfnResource) and not self._implied(dependency)
        ]
        # Sorted like aws-cdk-lib renders DependsOn; no key at all when nothing is left.
        return sorted(kept) or None


def drop_implied_dependencies(resource: CfnResource, *implied: CfnResource) -> None:
    """Render ``resource``'s ``DependsOn`` without ``implied`` (resources its properties reference)."""
    paths = {r.node.path for r in implied}
    resource.add_override("DependsOn", Lazy.list(_DependsOnWithout(resource, lambda dependency: dependency.node.path in paths)))



@jsii.implements(IAspect)
class FunctionRoleDependencies:
    """Drops every function's ``DependsOn`` its own execution role, which its ``Role`` property names.

    The handlers aws-cdk-lib generates (the default security group restriction, AwsCustomResource,
    the provider framework) are created outside stagelift's code, so an aspect finds them by type.
    """

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_resource_type == "AWS::Lambda::Function":
            # Construct dependencies (lambda.Function on its whole role) become resource
            # dependencies only after this aspect runs: decide when DependsOn is rendered.
            node.add_override("DependsOn", Lazy.list(_DependsOnWithout(node, lambda dependency: _is_execution_role(node, dependency))))


def _is_execution_role(function: CfnResource, candidate: CfnResource) -> bool:
    if candidate.cfn_resource_type != "AWS::IAM::Role":
        return False
    stack = Stack.of(function)
    if isinstance(function, lambda_.CfnFunction):
        return stack.resolve(function.role) == {"Fn::GetAtt": [stack.resolve(candidate.logical_id), "Arn"]}
    # aws-cdk-lib's CustomResourceProvider: a plain CfnResource "Handler" whose Role is GetAtt of its
    # sibling "Role" (its properties are not readable from here).
    return candidate.node.path == function.node.path.rsplit("/", 1)[0] + "/Role"


def drop_function_role_dependencies(scope: IConstruct) -> None:
    """Apply ``FunctionRoleDependencies`` to ``scope``'s stack, once (cfn-lint W3005)."""
    aspects = Aspects.of(Stack.of(scope))
    if not any(isinstance(aspect, FunctionRoleDependencies) for aspect in aspects.all):
        aspects.add(FunctionRoleDependencies())
