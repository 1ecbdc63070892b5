"""Refresh the dated price list from the AWS Price List API (``pricing:GetProducts``).

For every price with a ``query`` the refresh asks ``GetProducts`` for the products matching its
filters (``TERM_MATCH`` on each attribute, plus ``regionCode``), reads the on-demand price
dimensions of the JSON documents in ``PriceList`` and takes the USD ``pricePerUnit`` of the
first tier (``beginRange`` 0). Exactly one distinct price must come back: none, or several
different ones, is an error naming the price and its filters (a filter that has gone stale must
be fixed, not guessed around). Refreshed entries record ``method: aws-price-list-api``, the
date and the product's ``publicationDate``; ``derived`` entries are recomputed from theirs;
entries without a query keep their value, method and date.

The Price List API is served from a few regions only; us-east-1 is used for every region's prices.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from .price_list import Price, PriceList

PRICING_ENDPOINT_REGION = "us-east-1"


class RefreshError(RuntimeError):
    """The Price List API's answer for one price cannot be used; names the price and the filters."""


@dataclass(frozen=True)
class RefreshReport:
    prices: PriceList
    refreshed: tuple[str, ...]  # keys read from the API
    changed: tuple[tuple[str, Decimal, Decimal], ...]  # key, old, new
    kept: tuple[str, ...]  # keys with no query: left as they were
    derived: tuple[str, ...]


def pricing_client(session: Any = None) -> Any:
    """A boto3 ``pricing`` client (boto3 is the ``pricing`` extra: imported only here)."""
    try:
        import boto3
    except ImportError:  # pragma: no cover - depends on the installation
        raise RefreshError("boto3 is needed to refresh prices: pip install 'stagelift[pricing]'") from None
    return (session or boto3.session.Session()).client("pricing", region_name=PRICING_ENDPOINT_REGION)


def _products(client: Any, price: Price) -> Iterator[dict[str, Any]]:
    assert price.query is not None
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": price.region}]
    filters += [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in price.query.filters.items()]
    token: str | None = None
    while True:
        request: dict[str, Any] = {"ServiceCode": price.query.service_code, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
        if token:
            request["NextToken"] = token
        page = client.get_products(**request)
        for item in page.get("PriceList", []):
            yield json.loads(item) if isinstance(item, str) else item
        token = page.get("NextToken")
        if not token:
            return


def _plain(value: Decimal) -> Decimal:
    """``0.0840000000`` -> ``0.084`` and ``10.00`` -> ``10`` (never ``1E+1``)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


def _on_demand_usd(product: dict[str, Any]) -> list[Decimal]:
    """USD prices of the first tier of each on-demand price dimension of one product document."""
    found = []
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            if str(dimension.get("beginRange", "0")) not in ("0", "0.0"):
                continue
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd is None:
                continue
            try:
                found.append(Decimal(usd))
            except InvalidOperation:
                continue
    return found


def _describe(price: Price) -> str:
    assert price.query is not None
    filters = ", ".join(f"{k}={v}" for k, v in {"regionCode": price.region, **price.query.filters}.items())
    return f"{price.key!r} ({price.query.service_code}: {filters})"


def fetch_price(client: Any, price: Price) -> tuple[Decimal, str | None]:
    """The on-demand USD price the query selects, and the product's publication date."""
    values: set[Decimal] = set()
    published: str | None = None
    for product in _products(client, price):
        values.update(_plain(v) for v in _on_demand_usd(product))
        published = published or product.get("publicationDate")
    if not values:
        raise RefreshError(f"the Price List API returned no on-demand USD price for {_describe(price)}: fix the query in prices.json")
    if len(values) > 1:
        listed = ", ".join(str(v) for v in sorted(values))
        raise RefreshError(f"the Price List API returned {len(values)} different prices ({listed}) for {_describe(price)}: narrow the query in prices.json")
    (value,) = values
    return value, published


def refresh(prices: PriceList, client: Any, *, today: dt.date | None = None) -> RefreshReport:
    """A new list: every price with a query read from the API, derived prices recomputed."""
    date = (today or dt.date.today()).isoformat()
    updated: dict[tuple[str, str], Price] = {}
    refreshed, changed, kept, derived = [], [], [], []
    for price in prices:
        if price.query is None:
            updated[(price.key, price.region)] = price
            if price.derived_from is None:
                kept.append(price.key)
            continue
        value, published = fetch_price(client, price)
        if value != _plain(price.value):
            changed.append((price.key, price.value, value))
        updated[(price.key, price.region)] = replace(price, value=value, method="aws-price-list-api", obtained=date, published=published)
        refreshed.append(price.key)
    for key, price in list(updated.items()):
        if price.derived_from is None or price.derived_factor is None:
            continue
        base = updated.get((price.derived_from, price.region))
        if base is None:
            raise RefreshError(f"price {price.key!r} is derived from {price.derived_from!r}, which is not in the list")
        value = _plain(base.value * price.derived_factor)
        if value != _plain(price.value):
            changed.append((price.key, price.value, value))
        updated[key] = replace(price, value=value, method="derived", obtained=base.obtained)
        derived.append(price.key)
    new = prices.with_prices(tuple(updated[(p.key, p.region)] for p in prices))
    return RefreshReport(new, tuple(refreshed), tuple(changed), tuple(kept), tuple(derived))
