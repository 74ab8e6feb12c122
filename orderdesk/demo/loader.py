"""Loading the demo dataset: people, catalogue, rates, prices, customers and half a year of
orders of a Ukrainian building-materials distributor.

Master data goes in directly (with the catalogue's services, so stock rows and history exist);
every order is written through the order services, acting as the customer's manager, so each
order has the history a real one would have. One `random.Random(seed)` drives every choice:
the same seed on the same day gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.db import transaction
from django.utils import timezone

from orderdesk.audit.models import Event
from orderdesk.catalog.models import Product, Warehouse
from orderdesk.core.models import ExchangeRate
from orderdesk.customers.models import Contact, Customer
from orderdesk.orders.models import Order, OrderTemplate
from orderdesk.pricing.models import Contract, PriceList, PriceListItem

from . import customers, master, sales
from .world import FULL, Profile, Summary, World


def database_has_data() -> bool:
    """True when the database holds business data (beyond what migrations seed)."""
    return Customer.objects.exists() or Product.objects.exists() or Order.objects.exists()


@transaction.atomic
def load_demo(
    *, seed: int = 2026, profile: Profile = FULL, today: dt.date | None = None
) -> Summary:
    """Load everything in one transaction: a failure leaves the database as it was."""
    world = World(rng=random.Random(seed), today=today or timezone.localdate(), profile=profile)
    master.load_users(world)
    master.load_catalogue(world)
    master.load_rates(world)
    master.load_prices(world)
    customers.load_customers(world)
    sales.load_templates(world)
    sales.load_orders(world)
    return summarize(world)


def summarize(world: World) -> Summary:
    s = world.summary
    s.counts = {
        "users": len(world.users),
        "customers": Customer.objects.count(),
        "contacts": Contact.objects.count(),
        "contracts": Contract.objects.count(),
        "products": Product.objects.count(),
        "warehouses": Warehouse.objects.count(),
        "price lists": PriceList.objects.count(),
        "prices": PriceListItem.objects.count(),
        "exchange rates": ExchangeRate.objects.count(),
        "order templates": OrderTemplate.objects.count(),
        "orders": Order.objects.count(),
        "history events": Event.objects.count(),
    }
    s.statuses = dict(Counter(Order.objects.values_list("status", flat=True)).most_common())
    s.orders = dict(sorted(world.order_flags.items()))
    return s
