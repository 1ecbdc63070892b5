"""The dated price list: one JSON file, every unit price with its source and how and when it was obtained.

``prices.json`` (in this package) is the only place a price is written. Each entry has a ``key``
(``rds_postgresql_hour:db.t3.micro`` for prices that vary with a type), the ``value`` in USD as a
decimal string, its ``unit``, ``region``, ``source`` (the AWS pricing page), ``method`` and
``obtained`` (date): ``manual`` (read by hand on the page), ``manual-unverified`` (typed in when
the list was extended, not re-read), ``aws-price-list-api`` (``stagelift pricing refresh``) or
``derived`` (computed from another entry). ``query`` holds the Price List API filters a refresh
uses; ``derived`` names the entry and factor a derived price follows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_PRICES = Path(__file__).resolve().parent / "prices.json"
METHODS = ("manual", "manual-unverified", "aws-price-list-api", "derived")


class PriceNotFound(KeyError):
    """A price the template needs is not in the list; the message names the key and how to add it."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class PriceQuery:
    """AWS Price List API ``GetProducts`` filters (TERM_MATCH) that select exactly this price."""

    service_code: str
    filters: Mapping[str, str]


@dataclass(frozen=True)
class Price:
    key: str
    value: Decimal
    unit: str
    description: str
    region: str
    source: str
    method: str
    obtained: str  # ISO date
    query: PriceQuery | None = None
    derived_from: str | None = None
    derived_factor: Decimal | None = None
    note: str | None = None
    published: str | None = None  # the Price List API's publicationDate, when refreshed

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "value": str(self.value),
            "unit": self.unit,
            "description": self.description,
            "region": self.region,
            "source": self.source,
            "method": self.method,
            "obtained": self.obtained,
        }
        if self.published:
            out["published"] = self.published
        if self.query is not None:
            out["query"] = {"service_code": self.query.service_code, "filters": dict(self.query.filters)}
        if self.derived_from is not None:
            out["derived"] = {"from": self.derived_from, "factor": str(self.derived_factor)}
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str) -> Price:
        try:
            method = str(data["method"])
            if method not in METHODS:
                raise ValueError(f"method = {method!r}: allowed {', '.join(METHODS)}")
            query = data.get("query")
            derived = data.get("derived")
            return cls(
                key=str(data["key"]),
                value=Decimal(str(data["value"])),
                unit=str(data["unit"]),
                description=str(data.get("description", data["unit"])),
                region=str(data["region"]),
                source=str(data["source"]),
                method=method,
                obtained=str(data["obtained"]),
                query=PriceQuery(str(query["service_code"]), {str(k): str(v) for k, v in query["filters"].items()}) if query else None,
                derived_from=str(derived["from"]) if derived else None,
                derived_factor=Decimal(str(derived["factor"])) if derived else None,
                note=data.get("note"),
                published=data.get("published"),
            )
        except (KeyError, ValueError, ArithmeticError, TypeError) as error:
            raise ValueError(f"{where}: bad price entry {dict(data).get('key', '?')!r}: {error}") from None


@dataclass(frozen=True)
class PriceList:
    """Every unit price, by (key, region); ``hours_per_month`` is AWS's 730-hour convention."""

    prices: tuple[Price, ...]
    hours_per_month: int = 730
    currency: str = "USD"
    methods: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for p in self.prices:
            if (p.key, p.region) in seen:
                raise ValueError(f"price {p.key!r} ({p.region}) is listed twice")
            seen.add((p.key, p.region))

    def __iter__(self) -> Iterator[Price]:
        return iter(self.prices)

    def find(self, key: str, region: str) -> Price | None:
        return next((p for p in self.prices if p.key == key and p.region == region), None)

    def get(self, key: str, region: str) -> Price:
        found = self.find(key, region)
        if found is None:
            prefix = key.split(":")[0]
            similar = sorted(p.key for p in self.prices if p.key.split(":")[0] == prefix and p.region == region)
            hint = f"; listed: {', '.join(similar)}" if similar else ""
            where = self.path or DEFAULT_PRICES
            raise PriceNotFound(f"no price {key!r} for {region} in {where}{hint}. Add it (with its source) and run `stagelift pricing refresh`")
        return found

    def value(self, key: str, region: str) -> Decimal:
        return self.get(key, region).value

    def with_prices(self, prices: tuple[Price, ...]) -> PriceList:
        return replace(self, prices=prices)

    def regions(self) -> list[str]:
        return sorted({p.region for p in self.prices})

    def dates(self) -> list[str]:
        return sorted({p.obtained for p in self.prices})

    def to_json(self) -> dict[str, Any]:
        return {"currency": self.currency, "hours_per_month": self.hours_per_month, "methods": dict(self.methods), "prices": [p.to_json() for p in self.prices]}

    def save(self, path: Path | None = None) -> Path:
        target = path or self.path or DEFAULT_PRICES
        target.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        return target


def load_prices(path: Path | str | None = None) -> PriceList:
    """The price list at ``path`` (default: the one shipped in this package)."""
    source = Path(path) if path is not None else DEFAULT_PRICES
    try:
        data = json.loads(source.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read the price list {source}: {error}") from None
    prices = tuple(Price.from_json(entry, str(source)) for entry in data.get("prices", []))
    return PriceList(prices, int(data.get("hours_per_month", 730)), str(data.get("currency", "USD")), dict(data.get("methods", {})), source)
