"""Pricing services: the price an order starts from (`quotes`: contract_for_order,
quote_prices, group_price_list), automatic discounts (`discounts`), limits (`limits`), the
writes of contracts, price lists and prices, and price list import/export (`transfer`)."""

from .contracts import (
    CONTRACT_FIELDS,
    CONTRACT_PRICE_FIELDS,
    contract_create,
    contract_price_add,
    contract_price_remove,
    contract_price_update,
    contract_update,
)
from .discounts import (
    POLICY_FIELDS,
    discount_policy_create,
    discount_policy_save,
    discount_policy_update,
    discount_rules,
    product_group_lineage,
)
from .limits import (
    LIMIT_FIELDS,
    discount_budget_create,
    discount_budget_remove,
    discount_budget_save,
    discount_budget_update,
    pricing_limits,
    pricing_limits_update,
    role_caps_set,
)
from .prices import (
    ITEM_FIELDS,
    PRICE_LIST_FIELDS,
    price_item_add,
    price_item_remove,
    price_item_update,
    price_list_create,
    price_list_save,
    price_list_update,
)
from .quotes import PRICE_EXP, PriceQuote, contract_for_order, group_price_list, quote_prices
from .transfer import (
    ImportResult,
    export_rows,
    price_import_apply,
    price_import_preview,
)

__all__ = [
    "CONTRACT_FIELDS",
    "CONTRACT_PRICE_FIELDS",
    "ITEM_FIELDS",
    "LIMIT_FIELDS",
    "POLICY_FIELDS",
    "PRICE_EXP",
    "PRICE_LIST_FIELDS",
    "ImportResult",
    "PriceQuote",
    "contract_create",
    "contract_for_order",
    "contract_price_add",
    "contract_price_remove",
    "contract_price_update",
    "contract_update",
    "discount_budget_create",
    "discount_budget_remove",
    "discount_budget_save",
    "discount_budget_update",
    "discount_policy_create",
    "discount_policy_save",
    "discount_policy_update",
    "discount_rules",
    "export_rows",
    "group_price_list",
    "price_import_apply",
    "price_import_preview",
    "price_item_add",
    "price_item_remove",
    "price_item_update",
    "price_list_create",
    "price_list_save",
    "price_list_update",
    "pricing_limits",
    "pricing_limits_update",
    "product_group_lineage",
    "quote_prices",
    "role_caps_set",
]
