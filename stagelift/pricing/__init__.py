"""Monthly cost of synthesized CloudFormation: one dated price list, usage assumptions, one model.

    from stagelift.pricing import estimate_template, estimate_assembly
    estimate = estimate_template(json.load(open("cdk.out/MyStack.template.json")))
    for line in estimate.lines: print(line.item, line.monthly_usd, line.detail)

Works on templates only (no constructs, no AWS calls): anywhere a ``cdk.out`` folder exists.
``stagelift pricing refresh`` (boto3, credentials) rewrites the price list from the AWS Price List API.
"""

from .assembly import estimate_assembly
from .assumptions import DEFAULT_ASSUMPTIONS, Assumptions, load_assumptions
from .delta import LineDelta, changed, compare
from .estimate import CostLine, Estimate, estimate_template
from .price_list import DEFAULT_PRICES, Price, PriceList, PriceNotFound, PriceQuery, load_prices

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "DEFAULT_PRICES",
    "Assumptions",
    "CostLine",
    "Estimate",
    "LineDelta",
    "Price",
    "PriceList",
    "PriceNotFound",
    "PriceQuery",
    "changed",
    "compare",
    "estimate_assembly",
    "estimate_template",
    "load_assumptions",
    "load_prices",
]
