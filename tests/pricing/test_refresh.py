"""`stagelift pricing refresh` against botocore's Stubber: GetProducts answers shaped like the real API's."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stagelift import cli
from stagelift.cli import pricing as pricing_cli
from stagelift.pricing import PriceList, load_prices
from stagelift.pricing.refresh import RefreshError, refresh

TODAY = dt.date(2026, 12, 1)


def product(sku: str, usd: str, *, usagetype: str, service: str = "AmazonECS", tiers: tuple[tuple[str, str, str], ...] = ()) -> str:
    """One PriceList item as GetProducts returns it: a JSON *string* holding product and terms."""
    dimensions = {
        f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
            "unit": "hours",
            "endRange": "Inf" if not tiers else tiers[0][0],
            "description": f"USD {usd} per unit",
            "appliesTo": [],
            "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
            "beginRange": "0",
            "pricePerUnit": {"USD": usd},
        }
    }
    for i, (begin, end, price) in enumerate(tiers):
        dimensions[f"{sku}.JRTCKXETXF.TIER{i}"] = {
            "unit": "hours", "endRange": end, "description": "next tier", "appliesTo": [], "rateCode": f"{sku}.JRTCKXETXF.TIER{i}",
            "beginRange": begin, "pricePerUnit": {"USD": price},
        }
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute",
                "attributes": {"servicecode": service, "regionCode": "us-east-1", "location": "US East (N. Virginia)", "usagetype": usagetype},
                "sku": sku,
            },
            "serviceCode": service,
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": dimensions,
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261120000000",
            "publicationDate": "2026-11-20T10:00:00Z",
        }
    )


def subset(keys: list[str]) -> PriceList:
    shipped = load_prices()
    return shipped.with_prices(tuple(p for p in shipped if p.key in keys))


def expected_request(prices: PriceList, key: str, token: str | None = None) -> dict[str, Any]:
    price = prices.get(key, "us-east-1")
    assert price.query is not None
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"}]
    filters += [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in price.query.filters.items()]
    request: dict[str, Any] = {"ServiceCode": price.query.service_code, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    if token:
        request["NextToken"] = token
    return request


@pytest.fixture
def client() -> Any:
    return boto3.client("pricing", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def test_refresh_reads_each_query_records_method_and_date_and_recomputes_derived_prices(client: Any, tmp_path: Path) -> None:
    prices = subset(["fargate_vcpu_hour", "fargate_spot_vcpu_hour", "cognito_plus_mau"])
    with Stubber(client) as stub:
        # Two pages: the first product carries the on-demand price and a later tier (ignored).
        stub.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": [product("AAAA", "0.0412000000", usagetype="USE1-Fargate-vCPU-Hours:perCPU", tiers=(("1000", "Inf", "0.0300000000"),))], "NextToken": "page-2"},
            expected_request(prices, "fargate_vcpu_hour"),
        )
        stub.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": [product("BBBB", "0.0412000000", usagetype="USE1-Fargate-vCPU-Hours:perCPU")]},
            expected_request(prices, "fargate_vcpu_hour", "page-2"),
        )
        report = refresh(prices, client, today=TODAY)
        stub.assert_no_pending_responses()

    on_demand = report.prices.get("fargate_vcpu_hour", "us-east-1")
    assert (on_demand.value, on_demand.method, on_demand.obtained, on_demand.published) == (Decimal("0.0412"), "aws-price-list-api", "2026-12-01", "2026-11-20T10:00:00Z")
    spot = report.prices.get("fargate_spot_vcpu_hour", "us-east-1")
    assert (spot.value, spot.method, spot.obtained) == (Decimal("0.01236"), "derived", "2026-12-01")
    kept = report.prices.get("cognito_plus_mau", "us-east-1")
    assert kept == prices.get("cognito_plus_mau", "us-east-1"), "a price without a query keeps its value, method and date"
    assert report.kept == ("cognito_plus_mau",)
    assert {k for k, _, _ in report.changed} == {"fargate_vcpu_hour", "fargate_spot_vcpu_hour"}

    # The rewritten file reads back the same, with the provenance of every price.
    saved = report.prices.save(tmp_path / "prices.json")
    again = load_prices(saved)
    assert again.get("fargate_vcpu_hour", "us-east-1") == on_demand
    assert json.loads(saved.read_text())["prices"][0]["value"] == "0.0412"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], r"no on-demand USD price for 'fargate_vcpu_hour' \(AmazonECS: regionCode=us-east-1, usagetype=USE1-Fargate-vCPU-Hours:perCPU\)"),
        (
            [product("AAAA", "0.04048", usagetype="USE1-Fargate-vCPU-Hours:perCPU"), product("CCCC", "0.05", usagetype="USE1-Fargate-vCPU-Hours:perCPU")],
            r"2 different prices \(0.04048, 0.05\) for 'fargate_vcpu_hour'.*narrow the query",
        ),
    ],
)
def test_a_query_that_finds_nothing_or_several_prices_is_an_error_naming_the_price(client: Any, items: list[str], message: str) -> None:
    prices = subset(["fargate_vcpu_hour"])
    with Stubber(client) as stub:
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": items}, expected_request(prices, "fargate_vcpu_hour"))
        with pytest.raises(RefreshError, match=message):
            refresh(prices, client, today=TODAY)


def test_every_price_is_dated_sourced_and_either_refreshable_or_says_why_not() -> None:
    prices = load_prices()
    assert len(prices.prices) >= 90
    for p in prices:
        assert p.source.startswith("https://aws.amazon.com/"), p.key
        assert p.method in {"manual", "manual-unverified", "aws-price-list-api", "derived"}, p.key
        dt.date.fromisoformat(p.obtained)
        assert p.region == "us-east-1" and p.value > 0, p.key
        if p.method == "derived":
            assert p.derived_from and p.value == prices.value(p.derived_from, p.region) * p.derived_factor, p.key
    # The prices the old costs.py listed as "checked 2026-11-23" say so, read by hand.
    assert {p.method for p in prices if p.obtained == "2026-11-23" and p.derived_from is None} == {"manual"}
    assert prices.get("rds_postgresql_hour:db.t3.micro", "us-east-1").method == "manual"


def test_cli_refresh_rewrites_the_list_and_dry_run_writes_nothing(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = subset(["fargate_gb_hour", "fargate_spot_gb_hour"]).save(tmp_path / "prices.json")
    prices = load_prices(path)
    monkeypatch.setattr(pricing_cli, "pricing_client", lambda: client)
    response = {"FormatVersion": "aws_v1", "PriceList": [product("DDDD", "0.0045000000", usagetype="USE1-Fargate-GB-Hours")]}
    with Stubber(client) as stub:
        stub.add_response("get_products", response, expected_request(prices, "fargate_gb_hour"))
        stub.add_response("get_products", response, expected_request(prices, "fargate_gb_hour"))
        assert cli.main(["pricing", "refresh", "--prices", str(path), "--dry-run"]) == 0
        assert load_prices(path).get("fargate_gb_hour", "us-east-1").value == Decimal("0.004445")
        assert cli.main(["pricing", "refresh", "--prices", str(path)]) == 0
    out = capsys.readouterr().out
    assert "fargate_gb_hour: 0.004445 -> 0.0045" in out
    refreshed = load_prices(path).get("fargate_gb_hour", "us-east-1")
    assert (refreshed.value, refreshed.method, refreshed.obtained) == (Decimal("0.0045"), "aws-price-list-api", dt.date.today().isoformat())


def test_cli_refresh_reports_a_bad_answer_without_a_traceback(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = subset(["fargate_gb_hour"]).save(tmp_path / "prices.json")
    monkeypatch.setattr(pricing_cli, "pricing_client", lambda: client)
    with Stubber(client) as stub:
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []}, expected_request(load_prices(path), "fargate_gb_hour"))
        assert cli.main(["pricing", "refresh", "--prices", str(path)]) == 1
    assert "no on-demand USD price for 'fargate_gb_hour'" in capsys.readouterr().err
