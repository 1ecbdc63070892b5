"""A development portal without a domain is served over HTTPS by CloudFront, in front of an internal
load balancer reached through a CloudFront VPC origin; with a domain nothing of that exists."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Capture, Match

from stagelift.config import ConfigError, load_portal_config
from stagelift.constructs.portal.cdn import ORIGIN_FACING_PREFIX_LIST

from .conftest import DOMAIN, SynthesizedPortal, synth_profile

# AWS managed CloudFront policies (CloudFront developer guide, "Use managed cache policies" and
# "Use managed origin request policies"): their ids are the same in every account.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# Every viewer header but Host (with CachingDisabled that includes Authorization), every cookie,
# every query string: Backstage's session cookies, bearer tokens and the OAuth ?code=&state=.
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
OPT_IN_REGION = "eu-south-1"
EVERY_METHOD = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]


@pytest.fixture(scope="module")
def portal() -> SynthesizedPortal:
    return synth_profile("development")


def _matches(pattern: object, value: object) -> bool:
    """``value`` matches ``pattern`` (aws_cdk.assertions rules); the pattern's captures are filled."""
    result = Match.exact(pattern).test(value) if not hasattr(pattern, "test") else pattern.test(value)  # type: ignore[attr-defined]
    result.finished()
    return bool(result.is_success)


def _https_url_of_distribution(portal: SynthesizedPortal, value: object, suffix: str = "") -> None:
    """``value`` is ``https://<distribution domain><suffix>``, built at deploy time from the distribution."""
    distribution = Capture()
    parts: list[object] = ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]
    if suffix:
        parts.append(suffix)
    assert _matches({"Fn::Join": ["", parts]}, value), value
    assert portal.resources[distribution.as_string()]["Type"] == "AWS::CloudFront::Distribution"


def _load_balancer(portal: SynthesizedPortal) -> tuple[str, dict]:
    ((lb_id, lb),) = portal.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer").items()
    return lb_id, lb


def test_the_load_balancer_is_internal_in_the_private_subnets(portal: SynthesizedPortal) -> None:
    _, lb = _load_balancer(portal)
    assert lb["Properties"]["Scheme"] == "internal"
    network = portal.stack.portal.network
    private = [portal.stack.resolve(s.subnet_id) for s in network.vpc.private_subnets]
    assert lb["Properties"]["Subnets"] == private and len(private) == 2


def test_cloudfront_reaches_it_through_a_vpc_origin(portal: SynthesizedPortal) -> None:
    lb_id, _ = _load_balancer(portal)
    ((origin_id, vpc_origin),) = portal.of_type("AWS::CloudFront::VpcOrigin").items()
    endpoint = vpc_origin["Properties"]["VpcOriginEndpointConfig"]
    assert endpoint["Arn"] == {"Ref": lb_id}
    assert (endpoint["OriginProtocolPolicy"], endpoint["HTTPPort"]) == ("http-only", 80)
    assert endpoint["Name"] == "BackstagePortal-development-us-east-1"  # CloudFront is global: the region keeps two regions apart
    config = portal.one("AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [lb_id, "DNSName"]}
    assert origin["VpcOriginConfig"]["VpcOriginId"] == {"Fn::GetAtt": [origin_id, "Id"]}
    assert "ViewerCertificate" not in config, "the default *.cloudfront.net certificate"


def test_the_load_balancer_admits_only_cloudfronts_origin_facing_addresses(portal: SynthesizedPortal) -> None:
    group_id = portal.stack.get_logical_id(portal.stack.portal.edge.security_group.node.default_child)  # type: ignore[arg-type]
    inline = portal.resources[group_id]["Properties"].get("SecurityGroupIngress", [])
    separate = [r["Properties"] for r in portal.of_type("AWS::EC2::SecurityGroupIngress").values() if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}]
    lookup = Capture()
    assert inline == []
    (rule,) = separate
    assert _matches(
        Match.object_like({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "SourcePrefixListId": {"Fn::GetAtt": [lookup, "PrefixLists.0.PrefixListId"]}}), rule
    ), rule
    # The prefix list id is read when the stack deploys (ec2:DescribeManagedPrefixLists), not at synthesis.
    custom = portal.resources[lookup.as_string()]
    assert custom["Type"] == "Custom::AWS"
    call = json.loads(custom["Properties"]["Create"])
    assert (call["service"], call["action"]) == ("EC2", "describeManagedPrefixLists")
    assert call["parameters"]["Filters"] == [{"Name": "prefix-list-name", "Values": [ORIGIN_FACING_PREFIX_LIST]}]
    # Nothing in the stack is open to the internet any more.
    for other_id, group in portal.of_type("AWS::EC2::SecurityGroup").items():
        assert all(r.get("CidrIp") != "0.0.0.0/0" for r in group["Properties"].get("SecurityGroupIngress", [])), other_id
    assert all(r["Properties"].get("CidrIp") != "0.0.0.0/0" for r in portal.of_type("AWS::EC2::SecurityGroupIngress").values())


def test_cognito_and_backstage_use_the_distributions_https_url(portal: SynthesizedPortal) -> None:
    client = portal.one("AWS::Cognito::UserPoolClient")["Properties"]
    (callback,) = client["CallbackURLs"]  # no localhost: the shipped app signs in as guest locally
    _https_url_of_distribution(portal, callback, "/api/auth/oidc/handler/frame")
    (logout,) = client["LogoutURLs"]
    _https_url_of_distribution(portal, logout)
    (task,) = portal.of_type("AWS::ECS::TaskDefinition").values()
    container = next(c for c in task["Properties"]["ContainerDefinitions"] if c["Name"] == "Backstage")
    base_url = next(e["Value"] for e in container["Environment"] if e["Name"] == "PORTAL_BASE_URL")  # app.baseUrl and backend.baseUrl
    _https_url_of_distribution(portal, base_url)
    _https_url_of_distribution(portal, portal.template.to_json()["Outputs"]["PortalUrl"]["Value"])


def test_the_api_and_every_page_are_never_cached_and_get_what_backstage_needs(portal: SynthesizedPortal) -> None:
    config = portal.one("AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    for behaviour in (behaviours["/api/*"], config["DefaultCacheBehavior"]):
        assert behaviour["CachePolicyId"] == CACHING_DISABLED
        assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert sorted(behaviour["AllowedMethods"]) == sorted(EVERY_METHOD)
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    static = behaviours["/static/*"]
    assert static["CachePolicyId"] == CACHING_OPTIMIZED and static["AllowedMethods"] == ["GET", "HEAD"]
    assert static["ViewerProtocolPolicy"] == "redirect-to-https"


def test_the_distribution_logs_to_a_bucket_of_its_own(portal: SynthesizedPortal) -> None:
    logging = portal.one("AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]["Logging"]
    bucket_id = logging["Bucket"]["Fn::GetAtt"][0]
    bucket = portal.resources[bucket_id]["Properties"]
    # Legacy standard logging writes through an ACL: the bucket's owner still owns every object.
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert bucket["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == portal.stack.portal.config.log_retention_days


@pytest.mark.parametrize("environment", ["development", "production"])
def test_with_a_domain_the_public_load_balancer_serves_it_as_before(environment: str) -> None:
    portal = synth_profile(environment, imageTag="v1", **DOMAIN)  # the synth test_portal_stack shares
    for resource_type in ("AWS::CloudFront::Distribution", "AWS::CloudFront::VpcOrigin", "Custom::AWS"):
        portal.template.resource_count_is(resource_type, 0)
    _, lb = _load_balancer(portal)
    assert lb["Properties"]["Scheme"] == "internet-facing"
    assert portal.one("AWS::Cognito::UserPoolClient")["Properties"]["CallbackURLs"] == ["https://backstage.example.com/api/auth/oidc/handler/frame"]


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_regions_without_vpc_origins_need_a_domain(region: str) -> None:
    with pytest.raises(ConfigError, match=rf"region = '{region}' without domainName: .*VPC origin.*give domainName"):
        load_portal_config({"environment": "development", "region": region})
    load_portal_config({"environment": "development", "region": region, **DOMAIN})  # with a domain, as before


def test_in_an_opt_in_region_the_distribution_has_no_standard_logs() -> None:
    # CloudFront delivers no standard logs to buckets in opt-in regions: no log bucket, no Logging.
    portal = synth_profile("development", region=OPT_IN_REGION)  # the synth test_portal_checks shares
    assert "Logging" not in portal.one("AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    assert len(portal.of_type("AWS::S3::Bucket")) == 2  # TechDocs and the load balancer's access logs
