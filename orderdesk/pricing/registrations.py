"""What the pricing app adds to shared places: the navigation entry and the customer card's
contracts panel (the card lives in `customers`, below us)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from orderdesk.core.navigation import register_nav
from orderdesk.core.panels import register_panel
from orderdesk.customers.selectors import can_edit_contracts

from .selectors import PRICE_VIEWERS, can_view_prices, contract_list_for
from .services.quotes import product_prices_today


def contracts_panel(request, customer):
    """The customer's contracts with their terms; the card already checked visibility."""
    return {
        "customer": customer,
        "contracts": contract_list_for(user=request.user, customer=customer),
        "can_edit": can_edit_contracts(request.user, customer),
    }


def prices_panel(request, product):
    """The product's prices valid today: list items, what derived and cost-plus lists compute,
    and the individual prices of the contracts the user may see (not shown to the warehouse)."""
    if not can_view_prices(request.user):
        return None
    rows = product_prices_today(
        product=product, on=dt.date.today(), contracts=contract_list_for(user=request.user)
    )
    return {"rows": rows}


register_nav("price_lists", _("Price lists"), "pricing:price_lists", order=40, roles=PRICE_VIEWERS)
register_nav("discounts", _("Discounts"), "pricing:discounts", order=45, roles=PRICE_VIEWERS)
register_panel(
    "customer_card",
    "contracts",
    template="pricing/_contracts_panel.html",
    context=contracts_panel,
    order=10,
)
register_panel(
    "product_card",
    "prices",
    template="pricing/_product_prices_panel.html",
    context=prices_panel,
    order=10,
)
