"""What a service's ``catalog-info.yaml`` says about where it runs: the keys, in one place.

The skeletons write a tier's tags and plugin annotations at generation, the upgrade overlays add
the next tier's while both run, and ``stagelift upgrade`` rewrites the weight and, at ``finish``,
drops the old tier's. Values are strings (Backstage refuses other annotation values).

    stagelift.io/tier            where traffic is served now: the tier with the larger weight (the
                                 old one at a tie), or the only one
    stagelift.io/target-tier     the tier the service is moving to (absent when not migrating)
    stagelift.io/traffic-weight  the target tier's share of traffic, "0"-"100" (absent when not migrating)
    stagelift.io/environment     the environment the service was generated for (the overlays read it)
    stagelift.io/region          its AWS region (the overlays read it)
"""

from __future__ import annotations

from collections.abc import Mapping

from stagelift.config import STAGE_BY_TIER

TIER = "stagelift.io/tier"
TARGET_TIER = "stagelift.io/target-tier"
TRAFFIC_WEIGHT = "stagelift.io/traffic-weight"
ENVIRONMENT = "stagelift.io/environment"
REGION = "stagelift.io/region"
PROJECT_SLUG = "github.com/project-slug"

# Tags naming a tier (the stage tag first); a running tier's are on the Component.
TIER_TAGS: dict[str, tuple[str, ...]] = {
    "lambda": ("stage-1", "lambda"),
    "fargate": ("stage-2", "ecs", "fargate"),
    "eks": ("stage-3", "eks", "kubernetes"),
}
# Annotations the tier's Backstage plugins read, as format strings of name, environment, region, namespace.
PLUGIN_ANNOTATIONS: dict[str, dict[str, str]] = {
    "lambda": {
        "aws.com/lambda-function-name": "{name}-{environment}",
        "aws.com/lambda-region": "{region}",
    },
    "fargate": {
        # Tags stagelift's FargateService puts on the ECS service (stagelift/constructs/tagging.py).
        "aws.amazon.com/amazon-ecs-service-tags": "stagelift:service={name},stagelift:environment={environment}",
    },
    "eks": {
        # The manifests in k8s/ carry the label backstage.io/kubernetes-id=<name>.
        "backstage.io/kubernetes-id": "{name}",
        "backstage.io/kubernetes-namespace": "{namespace}",
        "argocd/app-name": "{name}",
    },
}
# Annotations the catalog adds to an entity it read (catalog:fetch returns them); never in the file.
CATALOG_ADDED_ANNOTATIONS = (
    "backstage.io/managed-by-location",
    "backstage.io/managed-by-origin-location",
    "backstage.io/view-url",
    "backstage.io/edit-url",
)


def plugin_annotations(tier: str, *, name: str, environment: str, region: str, namespace: str | None = None) -> dict[str, str]:
    values = {"name": name, "environment": environment, "region": region, "namespace": namespace or name}
    return {key: text.format(**values) for key, text in PLUGIN_ANNOTATIONS[tier].items()}


def serving_tier(weights: Mapping[str, int]) -> str:
    """The tier with the larger share of traffic; the lower stage at a tie."""
    return max(weights, key=lambda tier: (weights[tier], -STAGE_BY_TIER[tier]))


def describe_tiers(component: dict, weights: Mapping[str, int], *, target: str | None, namespace: str | None = None) -> dict:
    """The Component entity ``component`` rewritten for the tiers in ``weights`` (a copy).

    Every running tier's tags and plugin annotations are present, every other tier's removed;
    ``target`` (the tier being moved to, None when one tier runs) sets the target-tier and
    traffic-weight annotations.
    """
    metadata = dict(component["metadata"])
    annotations = {k: v for k, v in dict(metadata.get("annotations") or {}).items() if k not in CATALOG_ADDED_ANNOTATIONS}
    name = metadata["name"]
    environment = annotations.get(ENVIRONMENT, "")
    region = annotations.get(REGION, "")
    tags = [t for t in metadata.get("tags") or [] if not any(t in TIER_TAGS[tier] for tier in TIER_TAGS)]
    running = sorted(weights, key=STAGE_BY_TIER.__getitem__)
    tier_tags = [t for tier in running for t in TIER_TAGS[tier]]
    metadata["tags"] = list(dict.fromkeys([*tier_tags, *tags]))
    for tier in PLUGIN_ANNOTATIONS:
        for key in PLUGIN_ANNOTATIONS[tier]:
            annotations.pop(key, None)
    for tier in running:
        annotations.update(plugin_annotations(tier, name=name, environment=environment, region=region, namespace=namespace))
    annotations[TIER] = serving_tier(weights)
    if target is None:
        annotations.pop(TARGET_TIER, None)
        annotations.pop(TRAFFIC_WEIGHT, None)
    else:
        annotations[TARGET_TIER] = target
        annotations[TRAFFIC_WEIGHT] = str(weights[target])
    metadata["annotations"] = annotations
    return {**component, "metadata": metadata}
