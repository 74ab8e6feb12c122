"""Pricing services: the price an order starts from (`quotes`: contract_for_order,
quote_prices), and the writes of contracts, price lists and prices."""

from .contracts import CONTRACT_FIELDS, contract_create, contract_update
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
from .quotes import PRICE_EXP, PriceQuote, contract_for_order, quote_prices

__all__ = [
    "CONTRACT_FIELDS",
    "ITEM_FIELDS",
    "PRICE_EXP",
    "PRICE_LIST_FIELDS",
    "PriceQuote",
    "contract_create",
    "contract_for_order",
    "contract_update",
    "price_item_add",
    "price_item_remove",
    "price_item_update",
    "price_list_create",
    "price_list_save",
    "price_list_update",
    "quote_prices",
]
