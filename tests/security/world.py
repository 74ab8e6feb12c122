"""The people and records the authorization matrix is played against.

Two sales teams. Team A: head `head_a`, managers `manager` (the acting sales manager) and
`colleague`. Team B: head `head_b`, manager `stranger`. One user for each other role; the
administrator is staff and superuser, as the demo makes it.

Each of `manager`, `colleague`, `stranger` and `head_a` owns a book: a customer (they are its
responsible manager) with a contract and a contact, a confirmed order released to the
warehouse with one line ("order", "line"), a draft with one line ("draft", "draft_line"), and
a private order template. Everything else (products, price
lists, payment terms, currencies...) exists once and belongs to nobody.

Whose book is "own", "colleague" and "other" depends on who acts:

| acting role        | own       | colleague   | other      |
|--------------------|-----------|-------------|------------|
| sales_manager      | manager   | colleague   | stranger   |
| sales_head         | head_a    | colleague   | stranger   |
| any other role     | manager   | colleague   | stranger   |

(the other roles own no customers; for them the three columns are three customers of the
company, and the matrix says whether the role's answer depends on whose they are.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from orderdesk.core.models import Currency, ExchangeRate
from orderdesk.core.services import exchange_rate_set
from orderdesk.customers.models import Contact, DeliveryMethod, PaymentMethod, PaymentTerms
from orderdesk.orders.models import CancellationReason
from orderdesk.orders.services import LineInput, order_confirm, order_create, template_save
from orderdesk.orders.services.progress import order_fulfillment_status_set
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    CustomerGroupFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductGroupFactory,
    SalesTeamFactory,
    UserFactory,
    WarehouseFactory,
)

ROLES = (
    "anonymous",
    "sales_manager",
    "sales_head",
    "credit_controller",
    "warehouse",
    "accountant",
    "administrator",
)
OWN, COLLEAGUE, OTHER = "own", "colleague", "other"
SCOPES = (OWN, COLLEAGUE, OTHER)

# role -> the username acting in it
ACTORS = {
    "sales_manager": "manager",
    "sales_head": "head_a",
    "credit_controller": "credit",
    "warehouse": "storekeeper",
    "accountant": "accountant",
    "administrator": "admin",
}
# role -> scope -> whose book
BOOKS = {
    "sales_head": {OWN: "head_a", COLLEAGUE: "colleague", OTHER: "stranger"},
}
DEFAULT_BOOKS = {OWN: "manager", COLLEAGUE: "colleague", OTHER: "stranger"}


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    # owner username -> record name -> object
    books: dict[str, dict[str, Any]] = field(default_factory=dict)
    # record name -> object, the same for everyone
    shared: dict[str, Any] = field(default_factory=dict)

    def actor(self, role: str) -> User | None:
        return None if role == "anonymous" else self.users[ACTORS[role]]

    def book(self, role: str, scope: str) -> dict[str, Any]:
        return self.books[BOOKS.get(role, DEFAULT_BOOKS)[scope]]

    def record(self, name: str, role: str, scope: str) -> Any:
        if name in self.shared:
            return self.shared[name]
        return self.book(role, scope)[name]


def billing_records(w: World) -> None:
    """Documents and money of each book: a shipment of one unit with its delivery note and
    (posted) invoice, a payment allocated to it, a draft credit note, a cash receipt."""
    from orderdesk.billing.services import (
        cash_receipt_create,
        credit_note_create,
        document_post,
        invoice_create,
        payment_create,
        shipment_record,
    )
    from orderdesk.receivables.models import Allocation, OpenItem
    from orderdesk.testing.factories import CompanyProfileFactory

    CompanyProfileFactory()
    admin = w.users["admin"]
    for book in w.books.values():
        order, line = book["order"], book["line"]
        docs = shipment_record(by=admin, order=order, lines=[(line.pk, Decimal("1"))])
        invoice = docs.invoice or invoice_create(by=admin, order=order, kind="order")
        if invoice.status == "draft":
            invoice = document_post(by=admin, doc_type="invoice", pk=invoice.pk)
        payment = payment_create(by=admin, customer=order.customer, amount="50", order=order)
        book.update(
            invoice=invoice,
            invoice_item=OpenItem.objects.filter(doc_type="invoice", doc_id=invoice.pk)
            .order_by("pk")
            .first(),
            payment_item=payment.credit_item,
            delivery_note=docs.delivery_note,
            payment=payment,
            allocation=Allocation.objects.filter(credit=payment.credit_item_id).first(),
            credit_note=credit_note_create(
                by=admin,
                order=order,
                reason="return",
                lines=[(line.pk, Decimal("1"))],
                invoice=invoice.pk,
            ),
            cash_receipt=cash_receipt_create(
                by=admin, customer=order.customer, order=order, amount="10"
            ),
        )


def pricing_records(w: World) -> None:
    """A contract price and a discount budget in each book; a discount policy and a price
    import (previewed, not applied) shared."""
    from orderdesk.pricing import services as pricing

    admin = w.users["admin"]
    product, price_list = w.shared["product"], w.shared["price_list"]
    w.shared["discount_policy"] = pricing.discount_policy_create(
        by=admin,
        code="SEC5",
        name="Знижка 5 %",
        kind="customer_group",
        percent="5",
        valid_from=dt.date(2026, 1, 1),
        customer_group=w.shared["customer_group"].pk,
    )
    w.shared["price_import"] = pricing.price_import_preview(
        by=admin,
        price_list=price_list,
        file=f"sku;price;min_quantity;valid_from;valid_to\n{product.sku};95;;2031-01-01;\n".encode(),
        file_name="prices.csv",
    ).price_import
    for owner, book in w.books.items():
        book["contract_price"] = pricing.contract_price_add(
            by=admin, contract=book["contract"], product=product, price=Decimal("90")
        )
        book["discount_budget"] = pricing.discount_budget_create(
            by=admin,
            manager=w.users[owner].pk,
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30),
            amount="5000",
        )


def payments_and_reports_records(w: World) -> None:
    """A payment intermediary (shared) and each owner's private saved report."""
    from orderdesk.payments.services import intermediary_create
    from orderdesk.reports.services import variant_save

    w.shared["intermediary"] = intermediary_create(
        by=w.users["admin"], code="NOVA", name="Нова пошта (накладений платіж)"
    )
    for owner, book in w.books.items():
        book["report_variant"] = variant_save(
            by=w.users[owner], report="order_states", name=f"Мій звіт {marker(owner)}", params={}
        )


def fulfillment_records(w: World) -> None:
    """A shipment (the warehouse's own) of one unit of each book's order, released at its
    confirmation."""
    from orderdesk.fulfillment.services import shipment_create

    for book in w.books.values():
        book["shipment"] = shipment_create(
            by=w.users["admin"], order=book["order"], lines=[(book["line"].pk, Decimal("1"))]
        )


# Capabilities add the records their routes need: a function (World) -> None that puts
# shared records in `world.shared` and each owner's in `world.books[owner]`.
EXTRA_BUILDERS: list = [
    billing_records,
    pricing_records,
    payments_and_reports_records,
    fulfillment_records,
]


def marker(owner: str) -> str:
    """A word in the names of an owner's records: a page that shows it shows the record."""
    return f"zz{owner}zz"


def markers(world: World, owner: str) -> list[str]:
    """What may not appear on a page of someone who may not see `owner`'s book."""
    book = world.books[owner]
    return [marker(owner), book["order"].number, book["draft"].number]


# The books a sales role may not see (world.py's teams): their markers must appear nowhere.
HIDDEN_BOOKS = {
    "sales_manager": ("colleague", "stranger", "head_a"),
    "sales_head": ("stranger",),
}
# Records a role may see in no book: their numbers must appear nowhere.
HIDDEN_RECORDS = {"warehouse": ("invoice", "payment")}


def hidden_markers(world: World, role: str) -> list[tuple[str, str]]:
    """(what, text) pairs no answer to `role` may contain."""
    out = [
        (f"{owner}'s book", m)
        for owner in HIDDEN_BOOKS.get(role, ())
        for m in markers(world, owner)
    ]
    for name in HIDDEN_RECORDS.get(role, ()):
        for owner, book in world.books.items():
            number = getattr(book.get(name), "number", "")
            if number:
                out.append((f"{owner}'s {name}", number))
    return out


def build_world() -> World:
    """Create the world in the current transaction (the test's)."""
    w = World()
    for username, role in (
        ("manager", "sales_manager"),
        ("colleague", "sales_manager"),
        ("stranger", "sales_manager"),
        ("head_a", "sales_head"),
        ("head_b", "sales_head"),
        ("credit", "credit_controller"),
        ("storekeeper", "warehouse"),
        ("accountant", "accountant"),
        ("admin", "administrator"),
    ):
        w.users[username] = UserFactory(username=username, roles=[role])
    admin = w.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    team_a = SalesTeamFactory(name="Команда А", head=w.users["head_a"])
    team_a.members.add(w.users["manager"], w.users["colleague"])
    team_b = SalesTeamFactory(name="Команда Б", head=w.users["head_b"])
    team_b.members.add(w.users["stranger"])

    warehouse = WarehouseFactory(code="MAIN", name="Основний склад")
    price_list = PriceListFactory(code="WHOLESALE", name="Гурт")
    group = ProductGroupFactory(code="NAILS", name="Цвяхи")
    product = ProductFactory(sku="NAIL-100", name="Цвяхи 100 мм", group=group, balances=100)
    item = PriceListItemFactory(price_list=price_list, product=product, price=Decimal("100"))
    retired = ProductFactory(sku="NAIL-OLD", name="Цвяхи зняті з продажу", active=False)
    exchange_rate_set(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("41.5"))
    w.shared.update(
        warehouse=warehouse,
        price_list=price_list,
        price_item=item,
        product=product,
        product_group=group,
        currency=Currency.objects.get(code="UAH"),
        exchange_rate=ExchangeRate.objects.get(currency_id="USD"),
        customer_group=CustomerGroupFactory(code="RETAIL", name="Роздріб"),
        sales_team=team_a,
        payment_terms=PaymentTerms.objects.get(code="net14"),
        payment_method=PaymentMethod.objects.get(code="bank"),
        delivery_method=DeliveryMethod.objects.order_by("pk").first(),
        cancellation_reason=CancellationReason.objects.order_by("pk").first(),
        some_user=w.users["stranger"],
        inactive_product=retired,
        payment_terms_other=PaymentTerms.objects.exclude(code="net14").order_by("pk").first(),
    )

    for owner in ("manager", "colleague", "stranger", "head_a"):
        user = w.users[owner]
        customer = CustomerFactory(
            short_name=f"Клієнт {marker(owner)}",
            legal_name=f"ТОВ «{marker(owner)}»",
            manager=user,
        )
        contract = ContractFactory(
            customer=customer, price_list=price_list, number=f"{marker(owner)}/2026"
        )
        contact = Contact.objects.create(customer=customer, name=f"Контакт {marker(owner)}")
        order = order_create(
            by=user, customer=customer, lines=[LineInput(product=product.pk, quantity="3")]
        )
        order_confirm(by=user, order=order)
        order_fulfillment_status_set(by=admin, order=order, status="released")
        template = template_save(
            by=user,
            name=f"Шаблон {marker(owner)}",
            lines=[LineInput(product=product.pk, quantity="1")],
        )
        draft = order_create(
            by=user, customer=customer, lines=[LineInput(product=product.pk, quantity="2")]
        )
        w.books[owner] = {
            "customer": customer,
            "contract": contract,
            "contact": contact,
            "order": order,
            "line": order.lines.get(),
            "draft": draft,
            "draft_line": draft.lines.get(),
            "template": template,
        }
    for builder in EXTRA_BUILDERS:
        builder(w)
    return w
