"""Rules for VPC address space: which CIDR blocks a VPC may have and how subnets are cut from it.

Pure Python (``ipaddress``), so the configuration refuses a bad block with one message before
CDK sees it, and ``ServiceNetwork`` lays out subnets with the same arithmetic.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

MIN_VPC_PREFIX = 16  # the largest block AWS gives a VPC
MAX_VPC_PREFIX = 24  # smallest accepted here: room for three subnet tiers in 2-4 AZs
SMALLEST_SUBNET = 28  # AWS's smallest subnet
SMALLEST_LOAD_BALANCER_SUBNET = 27  # an Application Load Balancer needs a /27 or larger in each AZ
# Ranges AWS refuses for a VPC (Amazon VPC user guide, "VPC CIDR blocks"), besides non-IPv4 input.
_REFUSED = {
    "0.0.0.0/8": "'this' network",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link-local",
    "224.0.0.0/4": "multicast",
    "240.0.0.0/4": "reserved",
}


def check_ipv4_cidr(value: str, *, min_prefix: int = 0, max_prefix: int = 32) -> str:
    """``value`` if it is an IPv4 network in CIDR form with a prefix in range; else a ValueError saying why."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ipaddress.AddressValueError:
        raise ValueError("not an IPv4 CIDR block such as 10.0.0.0/16 (each of the four numbers is 0-255)") from None
    except ipaddress.NetmaskValueError:
        raise ValueError("not an IPv4 CIDR block such as 10.0.0.0/16 (prefix length /0 to /32 expected)") from None
    except ValueError:
        base = ipaddress.IPv4Network(value, strict=False)
        raise ValueError(f"host bits are set: the block starting there is {base}") from None
    if "/" not in value:
        raise ValueError(f"no prefix length: write it as {network.network_address}/<prefix>")
    if not min_prefix <= network.prefixlen <= max_prefix:
        raise ValueError(f"prefix /{network.prefixlen} is outside /{min_prefix} to /{max_prefix}")
    return value


def _check_vpc_cidr(value: str) -> str:
    check_ipv4_cidr(value, min_prefix=MIN_VPC_PREFIX, max_prefix=MAX_VPC_PREFIX)
    network = ipaddress.IPv4Network(value)
    for refused, what in _REFUSED.items():
        if network.overlaps(ipaddress.IPv4Network(refused)):
            raise ValueError(f"overlaps {refused} ({what}), which AWS does not accept for a VPC; use a private range such as 10.0.0.0/16")
    return value


VpcCidr = Annotated[str, AfterValidator(_check_vpc_cidr)]
"""A VPC's IPv4 block: /16 to /24, no host bits, not in a range AWS refuses."""


@dataclass(frozen=True)
class SubnetLayout:
    """Prefix lengths of the three subnet tiers in each AZ of a VPC."""

    public: int
    private: int
    isolated: int


def subnet_layout(cidr: str, zones: int) -> SubnetLayout:
    """Subnet sizes derived from the VPC block: each private subnet 1/16 of it, public and isolated 1/256.

    Never smaller than AWS allows (/28; /27 for the load balancer's public subnets). A 10.0.0.0/16
    gets /24 public, /20 private, /24 isolated subnets. Raises ValueError when ``zones`` sets of
    subnets do not fit, allocated in order (public, private, isolated), each aligned to its size
    as CDK's ``IpAddresses.cidr`` does.
    """
    network = ipaddress.IPv4Network(_check_vpc_cidr(cidr))
    prefix = network.prefixlen
    layout = SubnetLayout(
        public=min(prefix + 8, SMALLEST_LOAD_BALANCER_SUBNET),
        private=min(prefix + 4, SMALLEST_SUBNET),
        isolated=min(prefix + 8, SMALLEST_SUBNET),
    )
    fitting = max((n for n in range(1, 7) if _end(layout, n) <= network.num_addresses), default=0)
    if zones > fitting:
        raise ValueError(
            f"{cidr} has room for the public /{layout.public}, private /{layout.private} and isolated /{layout.isolated} "
            f"subnets of {fitting} availability zones, not {zones}: use a larger block (a smaller prefix length) or fewer zones"
        )
    return layout


def _end(layout: SubnetLayout, zones: int) -> int:
    """First address after ``zones`` subnets of each tier, allocated in order and aligned."""
    end = 0
    for prefix in (layout.public, layout.private, layout.isolated):
        size = 2 ** (32 - prefix)
        end = -(-end // size) * size + size * zones
    return end
