"""Loading the demo dataset: people, catalogue, rates, prices, customers and half a year of
orders of a Ukrainian building-materials distributor, quote to cash.

Master data goes in directly (with the catalogue's services, so stock rows and history exist);
approval rules, limits and credit limits through the administrator's and credit controller's
services; every order is written through the order services, acting as the customer's
manager, and carried on by the people whose work it is (approvers, credit controller,
warehouse, accountant — `flow`), so each order has the history a real one would have. One
`random.Random(seed)` drives every choice: the same seed on the same day gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from orderdesk.approvals.models import Approval, ApprovalRule, ApprovalTask, TaskStatus
from orderdesk.audit.models import Event
from orderdesk.billing.models import CashReceipt, CreditNote, DeliveryNote, Invoice, Payment
from orderdesk.catalog.models import Product, Warehouse
from orderdesk.core.models import ExchangeRate
from orderdesk.credit.models import CreditAccount, CreditHold, CreditLimit
from orderdesk.customers.models import Contact, Customer
from orderdesk.fulfillment.models import LineCancellation, MoveKind, Shipment, StockMove
from orderdesk.orders.models import Order, OrderTemplate
from orderdesk.pricing.models import Contract, PriceList, PriceListItem

from . import customers, flow, master, sales
from .world import FULL, Profile, Summary, World


def database_has_data() -> bool:
    """True when the database holds business data (beyond what migrations seed)."""
    return Customer.objects.exists() or Product.objects.exists() or Order.objects.exists()


def load_demo(
    *, seed: int = 2026, profile: Profile = FULL, today: dt.date | None = None
) -> Summary:
    """Load everything in one transaction: a failure leaves the database as it was. The
    approval e-mails the load would send to the demo's people (`.example` addresses) are
    not sent."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return _load(seed=seed, profile=profile, today=today)


@transaction.atomic
def _load(*, seed: int, profile: Profile, today: dt.date | None) -> Summary:
    world = World(rng=random.Random(seed), today=today or timezone.localdate(), profile=profile)
    master.load_users(world)
    master.load_catalogue(world)
    master.load_rates(world)
    master.load_prices(world)
    customers.load_customers(world)
    flow.load_rules(world)
    flow.load_limits(world)
    sales.load_templates(world)
    sales.load_orders(world)
    flow.finish(world)
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
        "approval rules": ApprovalRule.objects.count(),
        "approvals": Approval.objects.count(),
        "open approval tasks": ApprovalTask.objects.filter(status=TaskStatus.OPEN).count(),
        "credit limits": CreditLimit.objects.count(),
        "credit holds": CreditHold.objects.count(),
        "blocked customers": CreditAccount.objects.filter(blocked=True).count(),
        "stock receipts": StockMove.objects.filter(kind=MoveKind.RECEIPT).count(),
        "shipments": Shipment.objects.count(),
        "cancelled lines": LineCancellation.objects.count(),
        "invoices": Invoice.objects.count(),
        "delivery notes": DeliveryNote.objects.count(),
        "credit notes": CreditNote.objects.count(),
        "payments": Payment.objects.count(),
        "cash receipts": CashReceipt.objects.count(),
        "history events": Event.objects.count(),
    }
    s.statuses = dict(Counter(Order.objects.values_list("status", flat=True)).most_common())
    s.orders = dict(sorted(world.order_flags.items()))
    return s
