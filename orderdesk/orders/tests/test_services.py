"""Order services: entry with the contract's terms, edits, lifecycle, copies and templates.

Every refusal is checked with `refused(...)`: the error's stable code, and the database
exactly as it was before the call (orders, lines, schedule, history, series, templates).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import DomainError
from orderdesk.core.models import Currency, NumberSeries
from orderdesk.core.services import exchange_rate_set
from orderdesk.customers.models import DeliveryMethod, PaymentMethod, PaymentTerms
from orderdesk.orders.choices import TRANSITIONS, OrderAction, OrderStatus
from orderdesk.orders.models import (
    Amendment,
    CancellationReason,
    DeliveryScheduleEntry,
    Order,
    OrderLine,
    OrderTemplate,
    OrderTemplateLine,
    TermRight,
)
from orderdesk.orders.selectors import order_differences
from orderdesk.orders.services import (
    LineInput,
    order_amend,
    order_cancel,
    order_close,
    order_confirm,
    order_copy,
    order_create,
    order_create_from_template,
    order_decide,
    order_line_add,
    order_line_remove,
    order_line_update,
    order_release,
    order_return_to_draft,
    order_submit,
    order_update,
    template_delete,
    template_from_order,
    template_get,
    template_save,
)
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    SalesTeamFactory,
    UserFactory,
)

D = Decimal


# --- helpers --------------------------------------------------------------------------------


def db_state() -> dict:
    """Everything an order service may write, to prove a refusal saved nothing."""
    return {
        "orders": list(Order.objects.order_by("pk").values()),
        "lines": list(OrderLine.objects.order_by("pk").values()),
        "schedule": list(DeliveryScheduleEntry.objects.order_by("pk").values()),
        "amendments": list(Amendment.objects.order_by("pk").values()),
        "events": list(Event.objects.order_by("pk").values_list("pk", "hash")),
        "series": list(NumberSeries.objects.order_by("pk").values()),
        "templates": list(OrderTemplate.objects.order_by("pk").values()),
        "template_lines": list(OrderTemplateLine.objects.order_by("pk").values()),
    }


@contextmanager
def refused(code: str, status: int | None = None):
    """The block raises a DomainError with `code` and leaves the database unchanged."""
    before = db_state()
    with pytest.raises(DomainError) as caught:
        yield caught
    assert caught.value.code == code, caught.value
    if status is not None:
        assert caught.value.status == status
    assert db_state() == before, "a refused call changed the database"


def line(product, quantity="1", **kw) -> LineInput:
    return LineInput(product=product.pk, quantity=quantity, **kw)


def actions(order) -> list[str]:
    return list(
        Event.objects.filter(stream=stream_of(order))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def last_event(order, action: str) -> Event:
    return Event.objects.filter(stream=stream_of(order), action=action).order_by("-seq").first()


def fresh(user):
    """The user without the roles and rights cached on the instance."""
    return User.objects.get(pk=user.pk)


@pytest.fixture(autouse=True)
def main_warehouse(warehouse):
    """Orders need a warehouse to ship from."""
    return warehouse


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def rates(db, today):
    exchange_rate_set(currency="USD", date=today - dt.timedelta(days=30), rate=D("41.25"))
    exchange_rate_set(currency="EUR", date=today - dt.timedelta(days=30), rate=D("45.5"))


@pytest.fixture
def team(head, manager):
    team = SalesTeamFactory(name="Київ", head=head)
    team.members.add(manager)
    return team


@pytest.fixture
def draft(manager, customer, contract, product):
    """A draft of 3 nails at the list price of 100."""
    return order_create(by=manager, customer=customer, lines=[line(product, "3")])


@pytest.fixture
def confirmed(manager, draft):
    return order_confirm(by=manager, order=draft)


def terms(code: str) -> PaymentTerms:
    return PaymentTerms.objects.get(code=code)


def method(code: str) -> PaymentMethod:
    return PaymentMethod.objects.get(code=code)


def delivery(code: str) -> DeliveryMethod:
    return DeliveryMethod.objects.get(code=code)


# --- creating: terms from the contract ------------------------------------------------------


def test_order_create_fills_the_header_from_the_default_contract(
    manager, customer, contract, product, warehouse, today
):
    contract.delivery_method = delivery("carrier")
    contract.delivery_terms = "DAP Київ"
    contract.save()

    order = order_create(by=manager, customer=customer, lines=[line(product, "3")])

    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    assert order.number == f"ЗМ-{today.year}-000001"
    assert order.order_date == today
    assert order.contract == contract
    assert order.currency_id == "UAH"
    assert order.exchange_rate == D("1")
    assert order.price_list == contract.price_list
    assert order.payment_terms == terms("net14")
    assert order.payment_method == method("bank")
    assert order.delivery_method == delivery("carrier")
    assert order.delivery_terms == "DAP Київ"
    assert order.delivery_address == customer.delivery_address
    assert order.manager == customer.manager
    assert order.warehouse == warehouse
    assert order.created_by == manager
    assert order_differences(order) == {}

    (only,) = order.lines.all()
    assert (only.position, only.quantity, only.unit_price, only.list_price) == (
        1,
        D("3"),
        D("100"),
        D("100"),
    )
    assert "Wholesale" in only.price_source
    assert (only.discount_percent, only.vat_rate, only.cost_price) == (D("0"), D("20"), D("60"))
    assert (only.net_amount, only.vat_amount, only.gross_amount) == (D("300"), D("60"), D("360"))
    assert (order.net_amount, order.vat_amount, order.gross_amount) == (
        D("300.00"),
        D("60.00"),
        D("360.00"),
    )
    assert (order.base_net_amount, order.base_vat_amount, order.base_gross_amount) == (
        D("300.00"),
        D("60.00"),
        D("360.00"),
    )

    assert actions(order) == ["orders.order.created", "orders.line.added"]
    created = last_event(order, "orders.order.created")
    assert created.actor == manager
    assert created.changes["number"] == {"from": None, "to": order.number}
    assert created.changes["payment_terms"]["to"] == str(terms("net14"))
    added = last_event(order, "orders.line.added")
    assert added.changes["quantity"] == {"from": None, "to": "3"}
    assert added.changes["gross_amount"] == {"from": None, "to": "360"}


def test_order_numbers_follow_each_other_within_the_year_of_the_order(
    manager, customer, contract, product, today
):
    first = order_create(by=manager, customer=customer, lines=[line(product)])
    second = order_create(by=manager, customer=customer, lines=[line(product)])
    last_year = order_create(
        by=manager, customer=customer, order_date=dt.date(today.year - 1, 6, 1), lines=[]
    )
    assert first.number == f"ЗМ-{today.year}-000001"
    assert second.number == f"ЗМ-{today.year}-000002"
    assert last_year.number == f"ЗМ-{today.year - 1}-000001"


def test_order_create_with_a_chosen_contract_takes_that_contracts_terms(
    manager, customer, contract, price_list, product, rates
):
    euro = ContractFactory(
        customer=customer,
        number="16/2026",
        is_default=False,
        currency_id="EUR",
        price_list=price_list,  # in UAH: converted to the order currency
        payment_terms=terms("half50"),
        payment_method=method("card"),
        delivery_method=delivery("pickup"),
    )

    order = order_create(
        by=manager, customer=customer, contract=euro.pk, lines=[line(product, "10")]
    )

    order.refresh_from_db()
    assert order.contract == euro
    assert order.currency_id == "EUR"
    assert order.exchange_rate == D("45.5")
    assert (order.payment_terms, order.payment_method, order.delivery_method) == (
        terms("half50"),
        method("card"),
        delivery("pickup"),
    )
    (only,) = order.lines.all()
    assert only.unit_price == D("2.1978")  # 100 UAH / 45.5
    assert (order.net_amount, order.vat_amount, order.gross_amount) == (
        D("21.98"),
        D("4.40"),
        D("26.38"),
    )
    assert (order.base_net_amount, order.base_vat_amount, order.base_gross_amount) == (
        D("1000.09"),
        D("200.20"),
        D("1200.29"),
    )


def test_a_default_contract_out_of_validity_is_not_used(manager, customer, contract, today):
    contract.valid_to = today - dt.timedelta(days=1)
    contract.save()
    with refused("terms_required"):
        order_create(by=manager, customer=customer, lines=[])


def test_order_create_refuses_a_contract_of_another_customer(manager, customer, contract):
    stranger = ContractFactory(customer=CustomerFactory(manager=manager), number="99/2026")
    with refused("contract_wrong_customer"):
        order_create(by=manager, customer=customer, contract=stranger.pk, lines=[])


def test_order_create_refuses_a_contract_out_of_validity(manager, customer, contract, today):
    old = ContractFactory(
        customer=customer,
        number="1/2020",
        is_default=False,
        valid_from=dt.date(2020, 1, 1),
        valid_to=today - dt.timedelta(days=1),
    )
    future = ContractFactory(
        customer=customer,
        number="1/2099",
        is_default=False,
        valid_from=today + dt.timedelta(days=1),
    )
    with refused("contract_not_valid"):
        order_create(by=manager, customer=customer, contract=old, lines=[])
    with refused("contract_not_valid"):
        order_create(by=manager, customer=customer, contract=future.pk, lines=[])
    # the same contract is fine for an order dated within its validity
    order = order_create(
        by=manager, customer=customer, contract=old, order_date=dt.date(2021, 5, 4), lines=[]
    )
    assert order.contract == old


def test_order_create_refuses_an_inactive_or_unknown_contract(manager, customer, contract):
    inactive = ContractFactory(customer=customer, number="2/2026", is_default=False, active=False)
    with refused("contract_inactive"):
        order_create(by=manager, customer=customer, contract=inactive.pk, lines=[])
    with refused("contract_unknown"):
        order_create(by=manager, customer=customer, contract=999999, lines=[])


def test_order_create_refuses_unknown_inactive_and_foreign_customers(
    manager, other_manager, customer, contract
):
    with refused("customer_unknown", 400):
        order_create(by=manager, customer=999999, lines=[])
    with refused("customer_unknown", 400):
        order_create(by=manager, customer="abc", lines=[])
    with refused("customer_not_permitted", 403):
        order_create(by=other_manager, customer=customer, lines=[])
    customer.active = False
    customer.save()
    with refused("customer_inactive", 400):
        order_create(by=manager, customer=customer.pk, lines=[])


def test_order_create_refuses_unknown_and_inactive_products(manager, customer, contract, product):
    retired = ProductFactory(sku="OLD-1", active=False)
    with refused("product_unknown") as caught:
        order_create(
            by=manager,
            customer=customer,
            lines=[line(product), LineInput(product=999999, quantity="1")],
        )
    assert caught.value.fields == {"lines[1].product": 999999}
    with refused("product_unknown"):
        order_create(by=manager, customer=customer, lines=[LineInput(product="x", quantity="1")])
    with refused("product_inactive"):
        order_create(by=manager, customer=customer, lines=[line(retired)])


@pytest.mark.parametrize("quantity", ["0", "-1", "0.000", D("-0.001")])
def test_order_create_refuses_a_quantity_not_above_zero(
    manager, customer, contract, product, quantity
):
    with refused("quantity_not_positive") as caught:
        order_create(by=manager, customer=customer, lines=[line(product, quantity)])
    assert list(caught.value.fields) == ["lines[0].quantity"]


@pytest.mark.parametrize("discount", ["-0.01", "100.01", "150"])
def test_order_create_refuses_a_discount_outside_0_to_100(
    manager, customer, contract, product, discount
):
    with refused("discount_out_of_range"):
        order_create(
            by=manager, customer=customer, lines=[line(product, discount_percent=discount)]
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "1.0001"),
        ("quantity", "1e16"),
        ("unit_price", "10.00001"),
        ("discount_percent", "5.001"),
    ],
)
def test_order_create_refuses_a_number_with_too_many_digits(
    manager, customer, contract, product, field, value
):
    given = {"quantity": "1", field: value}
    with refused("number_precision") as caught:
        order_create(by=manager, customer=customer, lines=[line(product, **given)])
    assert caught.value.fields == {f"lines[0].{field}": value}


def test_trailing_zeros_are_not_extra_digits(manager, customer, contract, product):
    order = order_create(
        by=manager, customer=customer, lines=[line(product, "2.5000", unit_price="100.000000")]
    )
    assert order.lines.get().quantity == D("2.5")


def test_order_create_refuses_what_is_not_a_number(manager, customer, contract, product):
    with refused("number_invalid"):
        order_create(by=manager, customer=customer, lines=[line(product, "три")])
    with refused("number_invalid"):
        order_create(by=manager, customer=customer, lines=[line(product, 1.5)])


def test_order_create_refuses_amounts_the_columns_cannot_hold(manager, customer, contract, product):
    # the quantity and the price fit their columns, the line total does not
    with refused("amount_too_large"):
        order_create(by=manager, customer=customer, lines=[line(product, "999999999999999")])


def test_order_create_refuses_a_currency_without_a_rate(head, team, customer, contract, today):
    exchange_rate_set(currency="USD", date=today + dt.timedelta(days=1), rate=D("41"))
    with refused("exchange_rate_missing") as caught:
        order_create(by=head, customer=customer, currency="USD", lines=[])
    assert caught.value.fields == {"currency": "USD"}


def test_order_create_refuses_an_unknown_or_inactive_currency(head, team, customer, contract):
    with refused("currency_unknown"):
        order_create(by=head, customer=customer, currency="XTS", lines=[])
    pln = Currency.objects.get(code="PLN")
    pln.active = False
    pln.save()  # save(), not update(): the reference-data caches see the change (core.cache)
    with refused("currency_unknown"):
        order_create(by=head, customer=customer, currency="PLN", lines=[])


# --- prices ---------------------------------------------------------------------------------


def test_a_list_price_in_another_currency_is_converted_at_the_order_date(
    manager, customer, contract, rates
):
    euro_list = PriceListFactory(code="EURO", name="Euro list", currency_id="EUR")
    contract.price_list = euro_list
    contract.save()
    lamp = ProductFactory(sku="LAMP")
    PriceListItemFactory(price_list=euro_list, product=lamp, price=D("10"))

    order = order_create(by=manager, customer=customer, lines=[line(lamp, "2")])

    (only,) = order.lines.all()
    assert order.currency_id == "UAH"
    assert (only.unit_price, only.list_price) == (D("455.0000"), D("455.0000"))
    assert order.net_amount == D("910.00")


def test_a_vat_inclusive_list_gives_net_prices(manager, customer, contract, price_list):
    price_list.prices_include_vat = True
    price_list.save()
    standard = ProductFactory(sku="STD", vat_rate=D("20"))
    reduced = ProductFactory(sku="MED", vat_rate=D("7"))
    PriceListItemFactory(price_list=price_list, product=standard, price=D("120"))
    PriceListItemFactory(price_list=price_list, product=reduced, price=D("120"))

    order = order_create(by=manager, customer=customer, lines=[line(standard), line(reduced)])

    first, second = order.lines.order_by("position")
    assert first.unit_price == D("100.0000")
    assert second.unit_price == D("112.1495")
    assert (first.gross_amount, second.gross_amount) == (D("120.00"), D("120.00"))


def test_quantity_breaks_pick_the_largest_break_reached(
    manager, customer, contract, price_list, product
):
    PriceListItemFactory(price_list=price_list, product=product, price=D("90"), min_quantity=10)
    # the same break from a later date replaces the older price
    PriceListItemFactory(
        price_list=price_list,
        product=product,
        price=D("85"),
        min_quantity=10,
        valid_from=dt.date(2025, 1, 1),
    )
    PriceListItemFactory(price_list=price_list, product=product, price=D("80"), min_quantity=50)

    def price_for(*quantities):
        order = order_create(
            by=manager, customer=customer, lines=[line(product, q) for q in quantities]
        )
        return [li.unit_price for li in order.lines.order_by("position")]

    assert price_for("9") == [D("100")]
    assert price_for("10") == [D("85")]
    assert price_for("50") == [D("80")]
    # the break counts the product's quantity over the whole order
    assert price_for("6", "6") == [D("85"), D("85")]
    order = Order.objects.latest("pk")
    assert "(from 10)" in order.lines.first().price_source


def test_a_product_without_a_list_price_needs_a_price_entered(manager, customer, contract):
    unlisted = ProductFactory(sku="UNLISTED")
    with refused("price_not_found"):
        order_create(by=manager, customer=customer, lines=[line(unlisted)])
    order = order_create(
        by=manager, customer=customer, lines=[line(unlisted, "2", unit_price="12.5")]
    )
    (only,) = order.lines.all()
    assert (only.unit_price, only.list_price, only.net_amount) == (D("12.5"), None, D("25.00"))


def test_a_manual_price_is_kept_beside_the_list_price(manager, customer, contract, product):
    order = order_create(by=manager, customer=customer, lines=[line(product, "2", unit_price="95")])
    (only,) = order.lines.all()
    assert (only.unit_price, only.list_price) == (D("95"), D("100"))
    assert "Wholesale" not in only.price_source
    assert only.net_amount == D("190.00")


def test_a_manual_price_needs_the_right_to_set_prices(manager, customer, contract, product):
    TermRight.objects.filter(role="sales_manager", term="price").delete()
    manager = fresh(manager)

    with refused("term_change_forbidden", 403) as caught:
        order_create(by=manager, customer=customer, lines=[line(product, unit_price="95")])
    assert caught.value.fields == {"lines[0].unit_price": "price"}
    unlisted = ProductFactory(sku="UNLISTED")
    with refused("term_change_forbidden", 403):
        order_create(by=manager, customer=customer, lines=[line(unlisted, unit_price="10")])

    # entering the list price itself changes nothing, so it needs no right
    order = order_create(by=manager, customer=customer, lines=[line(product, unit_price="100")])
    assert order.lines.get().unit_price == D("100")


def test_a_discount_needs_the_right_to_give_discounts(manager, customer, contract, product):
    order = order_create(
        by=manager, customer=customer, lines=[line(product, "2", discount_percent="12.5")]
    )
    assert order.lines.get().net_amount == D("175.00")

    TermRight.objects.filter(role="sales_manager", term="discount").delete()
    with refused("term_change_forbidden", 403):
        order_create(
            by=fresh(manager), customer=customer, lines=[line(product, discount_percent="5")]
        )


# --- the rights matrix on header terms ------------------------------------------------------

# as seeded by orders/migrations/0002_seed.py
MATRIX = {
    "sales_manager": {"price", "discount", "delivery_terms"},
    "sales_head": {
        "price",
        "discount",
        "payment_terms",
        "payment_method",
        "currency",
        "delivery_terms",
    },
    "administrator": {
        "price",
        "discount",
        "payment_terms",
        "payment_method",
        "currency",
        "delivery_terms",
    },
}
FIELD_TERM = {
    "currency": "currency",
    "price_list": "price",
    "payment_terms": "payment_terms",
    "payment_method": "payment_method",
    "delivery_method": "delivery_terms",
    "delivery_terms": "delivery_terms",
}


def changed_value(field: str):
    return {
        "currency": lambda: "USD",
        "price_list": lambda: PriceListFactory(code="RETAIL", name="Retail").pk,
        "payment_terms": lambda: terms("net30").pk,
        "payment_method": lambda: method("cash").pk,
        "delivery_method": lambda: delivery("pickup").pk,
        "delivery_terms": lambda: "EXW Бровари",
    }[field]()


@pytest.mark.parametrize("role", sorted(MATRIX))
@pytest.mark.parametrize("field", sorted(FIELD_TERM))
def test_changing_a_term_from_the_contract_follows_the_rights_matrix(
    role, field, manager, head, admin_user, team, customer, contract, rates
):
    user = {"sales_manager": manager, "sales_head": head, "administrator": admin_user}[role]
    value = changed_value(field)

    if FIELD_TERM[field] in MATRIX[role]:
        order = order_create(by=user, customer=customer, lines=[], **{field: value})
        stored = order.currency_id if field == "currency" else getattr(order, field)
        assert (getattr(stored, "pk", stored)) == value
        assert set(order_differences(order)) == {field}
    else:
        with refused("term_change_forbidden", 403) as caught:
            order_create(by=user, customer=customer, lines=[], **{field: value})
        assert list(caught.value.fields) == [field]


def test_giving_the_contracts_own_value_needs_no_right(manager, customer, contract):
    order = order_create(
        by=manager,
        customer=customer,
        lines=[],
        payment_terms=contract.payment_terms_id,
        payment_method=contract.payment_method_id,
        currency="uah",
    )
    assert order_differences(order) == {}


def test_the_rights_matrix_is_data(manager, customer, contract):
    with refused("term_change_forbidden"):
        order_create(by=fresh(manager), customer=customer, lines=[], payment_terms=terms("net30"))
    TermRight.objects.create(role="sales_manager", term="payment_terms")
    order = order_create(
        by=fresh(manager), customer=customer, lines=[], payment_terms=terms("net30")
    )
    assert order.payment_terms == terms("net30")


def test_a_customer_without_a_contract_needs_terms_chosen_by_someone_allowed(
    manager, head, team, product
):
    bare = CustomerFactory(manager=manager)
    with refused("terms_required") as caught:
        order_create(by=manager, customer=bare, lines=[])
    assert set(caught.value.fields) == {"payment_terms", "payment_method"}
    with refused("term_change_forbidden"):
        order_create(by=manager, customer=bare, lines=[], payment_terms=terms("prepay100"))
    order = order_create(
        by=head,
        customer=bare,
        payment_terms=terms("prepay100"),
        payment_method=method("bank"),
        lines=[line(product, "1", unit_price="50")],
    )
    assert (order.contract, order.price_list, order.currency_id) == (None, None, "UAH")
    assert order_differences(order) == {}


# --- editing a draft ------------------------------------------------------------------------


def test_editing_a_draft_header_records_before_and_after(manager, draft):
    order_update(
        by=manager,
        order=draft,
        delivery_terms="EXW Бровари",
        comment="  Терміново  ",
        requested_delivery_date=dt.date(2030, 1, 15),
    )

    draft.refresh_from_db()
    assert (draft.delivery_terms, draft.comment) == ("EXW Бровари", "Терміново")
    changed = last_event(draft, "orders.order.changed")
    assert changed.actor == manager
    assert changed.changes == {
        "delivery_terms": {"from": "", "to": "EXW Бровари"},
        "comment": {"from": "", "to": "Терміново"},
        "requested_delivery_date": {"from": None, "to": "2030-01-15"},
    }
    assert order_differences(draft) == {"delivery_terms": {"contract": "", "order": "EXW Бровари"}}


def test_an_edit_that_changes_nothing_writes_no_history(manager, draft):
    before = actions(draft)
    order_update(by=manager, order=draft, delivery_terms="", comment="")
    assert actions(draft) == before


def test_draft_lines_can_be_added_changed_and_removed_and_totals_follow(manager, draft, price_list):
    bolt = ProductFactory(sku="BOLT", vat_rate=D("7"))
    PriceListItemFactory(price_list=price_list, product=bolt, price=D("12.345"))
    nails = draft.lines.get()

    # add
    added = order_line_add(by=manager, order=draft, line=line(bolt, "3", discount_percent="10"))
    assert added.position == 2
    # 3 x 12.345 x 0.9 = 33.3315 -> 33.33; VAT 7 % = 2.3331 -> 2.33
    assert (added.net_amount, added.vat_amount, added.gross_amount) == (
        D("33.33"),
        D("2.33"),
        D("35.66"),
    )
    draft.refresh_from_db()
    assert (draft.net_amount, draft.vat_amount, draft.gross_amount) == (
        D("333.33"),
        D("62.33"),
        D("395.66"),
    )

    # change
    order_line_update(by=manager, order=draft, line_id=nails.pk, quantity="5")
    draft.refresh_from_db()
    assert draft.net_amount == D("533.33")
    changed = last_event(draft, "orders.line.changed")
    assert changed.object_id == str(nails.pk)
    assert changed.changes["quantity"] == {"from": "3", "to": "5"}
    assert changed.changes["net_amount"] == {"from": "300", "to": "500"}

    # remove
    order_line_remove(by=manager, order=draft, line_id=nails.pk)
    draft.refresh_from_db()
    assert list(draft.lines.values_list("position", flat=True)) == [2]
    assert (draft.net_amount, draft.vat_amount, draft.gross_amount) == (
        D("33.33"),
        D("2.33"),
        D("35.66"),
    )
    removed = last_event(draft, "orders.line.removed")
    assert removed.changes["quantity"] == {"from": "5", "to": None}
    assert removed.changes["product"] == {"from": str(nails.product), "to": None}
    assert actions(draft)[-1] == "orders.order.changed"  # the totals, before -> after


def test_line_edits_refuse_bad_values_and_unknown_lines(manager, draft):
    nails = draft.lines.get()
    with refused("quantity_not_positive"):
        order_line_update(by=manager, order=draft, line_id=nails.pk, quantity="0")
    with refused("discount_out_of_range"):
        order_line_update(by=manager, order=draft, line_id=nails.pk, discount_percent="101")
    with refused("number_precision"):
        order_line_update(by=manager, order=draft, line_id=nails.pk, unit_price="1.000001")
    with refused("unknown_field"):
        order_line_update(by=manager, order=draft, line_id=nails.pk, vat_rate="0")
    with refused("line_unknown"):
        order_line_update(by=manager, order=draft, line_id=999999, quantity="1")
    with refused("line_unknown"):
        order_line_remove(by=manager, order=draft, line_id="abc")
    with refused("unknown_field"):
        order_update(by=manager, order=draft, colour="red")
    with refused("order_not_found", 404):
        order_update(by=manager, order=999999, comment="x")


def test_a_new_price_list_reprices_standard_lines_and_keeps_manual_ones(
    manager, customer, contract, product
):
    bolt = ProductFactory(sku="BOLT")
    PriceListItemFactory(price_list=contract.price_list, product=bolt, price=D("10"))
    retail = PriceListFactory(code="RETAIL", name="Retail")
    PriceListItemFactory(price_list=retail, product=product, price=D("150"))
    PriceListItemFactory(price_list=retail, product=bolt, price=D("15"))
    order = order_create(
        by=manager,
        customer=customer,
        lines=[line(product, "1"), line(bolt, "1", unit_price="9")],
    )

    order_update(by=manager, order=order, price_list=retail.pk)

    nails, bolts = order.lines.order_by("position")
    assert (nails.unit_price, nails.list_price) == (D("150"), D("150"))
    assert (bolts.unit_price, bolts.list_price) == (D("9"), D("15"))
    order.refresh_from_db()
    assert order.net_amount == D("159.00")
    assert order_differences(order) == {"price_list": {"contract": "Wholesale", "order": "Retail"}}


def test_a_new_currency_reprices_standard_lines_and_converts_manual_ones(
    head, team, customer, contract, product, rates
):
    bolt = ProductFactory(sku="BOLT")
    order = order_create(
        by=head,
        customer=customer,
        lines=[line(product, "10"), line(bolt, "1", unit_price="95")],
    )

    order_update(by=head, order=order, currency="USD")

    order.refresh_from_db()
    assert (order.currency_id, order.exchange_rate) == ("USD", D("41.25"))
    nails, bolts = order.lines.order_by("position")
    assert nails.unit_price == D("2.4242")  # 100 UAH / 41.25
    assert bolts.unit_price == D("2.3030")  # 95 UAH / 41.25
    assert order.net_amount == D("26.54")  # 24.24 + 2.30
    assert order.base_net_amount == D("1094.78")  # 26.54 x 41.25
    assert last_event(order, "orders.order.changed").changes["currency"] == {
        "from": "UAH",
        "to": "USD",
    }


def test_a_new_order_date_takes_that_days_rate(head, team, customer, contract, product, today):
    exchange_rate_set(currency="USD", date=today - dt.timedelta(days=20), rate=D("40"))
    exchange_rate_set(currency="USD", date=today - dt.timedelta(days=2), rate=D("50"))
    bolt = ProductFactory(sku="BOLT")
    order = order_create(
        by=head,
        customer=customer,
        currency="USD",
        lines=[line(product, "1"), line(bolt, "1", unit_price="3")],
    )
    assert order.exchange_rate == D("50")
    assert order.lines.get(product=product).unit_price == D("2.0000")  # 100 UAH / 50

    order_update(by=head, order=order, order_date=today - dt.timedelta(days=10))

    order.refresh_from_db()
    assert order.exchange_rate == D("40")
    # the list price (in UAH) converts at the new rate; the price entered in USD stays
    assert order.lines.get(product=product).unit_price == D("2.5000")
    assert order.lines.get(product=bolt).unit_price == D("3")
    assert (order.net_amount, order.base_net_amount) == (D("5.50"), D("220.00"))
    assert last_event(order, "orders.order.changed").changes["exchange_rate"] == {
        "from": "50",
        "to": "40",
    }


def test_switching_to_another_contract_brings_its_terms(manager, customer, contract, draft):
    other = ContractFactory(
        customer=customer,
        number="17/2026",
        is_default=False,
        price_list=contract.price_list,
        payment_terms=terms("net30"),
        payment_method=method("cash"),
        delivery_terms="DAP Львів",
    )

    order_update(by=manager, order=draft, contract=other.pk)

    draft.refresh_from_db()
    assert draft.contract == other
    assert (draft.payment_terms, draft.payment_method, draft.delivery_terms) == (
        terms("net30"),
        method("cash"),
        "DAP Львів",
    )
    assert order_differences(draft) == {}
    with refused("contract_wrong_customer"):
        stranger = ContractFactory(customer=CustomerFactory(manager=manager), number="9/2026")
        order_update(by=manager, order=draft, contract=stranger.pk)


def test_a_manager_may_not_change_the_currency_of_a_draft(manager, draft, rates):
    with refused("term_change_forbidden", 403):
        order_update(by=manager, order=draft, currency="USD")


def test_a_delivery_schedule_fits_the_line_quantity(manager, customer, contract, product, today):
    d1, d2 = today + dt.timedelta(days=7), today + dt.timedelta(days=14)
    order = order_create(
        by=manager,
        customer=customer,
        lines=[line(product, "3", schedule=[(d1, "2"), (d2, "1")])],
    )
    nails = order.lines.get()
    assert list(nails.schedule.values_list("date", "quantity")) == [(d1, D("2")), (d2, D("1"))]
    added = last_event(order, "orders.line.added")
    assert added.changes["schedule"]["to"] == [f"{d1.isoformat()}: 2", f"{d2.isoformat()}: 1"]

    with refused("schedule_exceeds_quantity"):
        order_create(
            by=manager, customer=customer, lines=[line(product, "2", schedule=[(d1, "3")])]
        )
    with refused("schedule_date_repeated"):
        order_create(
            by=manager,
            customer=customer,
            lines=[line(product, "5", schedule=[(d1, "1"), (d1, "1")])],
        )
    with refused("schedule_exceeds_quantity"):
        order_line_update(by=manager, order=order, line_id=nails.pk, quantity="2")


# --- confirming, amending, cancelling, closing ---------------------------------------------


def test_confirm_fixes_the_exchange_rate_of_the_confirmation_day(
    head, team, customer, contract, product, today
):
    exchange_rate_set(currency="USD", date=today - dt.timedelta(days=10), rate=D("40"))
    order = order_create(
        by=head,
        customer=customer,
        currency="USD",
        order_date=today - dt.timedelta(days=5),
        lines=[line(product, "10")],
    )
    assert order.exchange_rate == D("40")
    assert (order.net_amount, order.base_net_amount) == (D("25.00"), D("1000.00"))
    exchange_rate_set(currency="USD", date=today - dt.timedelta(days=1), rate=D("42"))

    order_confirm(by=head, order=order)

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.confirmed_at is not None
    assert order.exchange_rate == D("42")
    assert (order.net_amount, order.vat_amount, order.gross_amount) == (
        D("25.00"),
        D("5.00"),
        D("30.00"),
    )
    assert (order.base_net_amount, order.base_vat_amount, order.base_gross_amount) == (
        D("1050.00"),
        D("210.00"),
        D("1260.00"),
    )
    acts = actions(order)  # the warehouse's release follows in the same transaction
    confirmed_at = acts.index("orders.order.confirmed")
    assert acts[confirmed_at - 1 : confirmed_at + 1] == [
        "orders.order.rate_fixed",
        "orders.order.confirmed",
    ]
    fixed = last_event(order, "orders.order.rate_fixed")
    assert fixed.changes == {"exchange_rate": {"from": "40", "to": "42"}}
    assert fixed.data == {"date": today.isoformat()}
    assert last_event(order, "orders.order.confirmed").changes == {
        "status": {"from": "draft", "to": "confirmed"}
    }


def test_confirm_in_the_base_currency_writes_no_rate_event(manager, draft):
    order_confirm(by=manager, order=draft)
    assert "orders.order.confirmed" in actions(draft)
    assert "orders.order.rate_fixed" not in actions(draft)


def test_confirm_refuses_an_empty_order_and_an_inactive_customer(
    manager, customer, contract, draft
):
    empty = order_create(by=manager, customer=customer, lines=[])
    with refused("order_empty"):
        order_confirm(by=manager, order=empty)
    customer.active = False
    customer.save()
    with refused("customer_inactive"):
        order_confirm(by=manager, order=draft)


def test_a_confirmed_order_is_not_edited_silently(manager, confirmed, product):
    nails = confirmed.lines.get()
    with refused("order_not_editable", 409):
        order_update(by=manager, order=confirmed, comment="тихо")
    with refused("order_not_editable", 409):
        order_line_add(by=manager, order=confirmed, line=line(product))
    with refused("order_not_editable", 409):
        order_line_update(by=manager, order=confirmed, line_id=nails.pk, quantity="30")
    with refused("order_not_editable", 409):
        order_line_remove(by=manager, order=confirmed, line_id=nails.pk)


def test_an_amendment_with_a_reason_makes_a_revision_and_history(manager, confirmed, product):
    nails = confirmed.lines.get()

    amendment = order_amend(
        by=manager,
        order=confirmed,
        reason="Клієнт збільшив обсяг",
        update={nails.pk: {"quantity": "5"}},
        add=[line(product, "1", unit_price="90")],
    )

    confirmed.refresh_from_db()
    assert (amendment.revision, amendment.reason, amendment.created_by) == (
        1,
        "Клієнт збільшив обсяг",
        manager,
    )
    assert confirmed.revision == 1
    assert confirmed.status == OrderStatus.CONFIRMED
    assert confirmed.net_amount == D("590.00")
    new_events = list(
        Event.objects.filter(stream=stream_of(confirmed), data__revision=1).order_by("seq")
    )
    assert [e.action for e in new_events] == [
        "orders.line.changed",
        "orders.line.added",
        "orders.order.changed",
        "orders.order.amended",
    ]
    assert new_events[0].changes["quantity"] == {"from": "3", "to": "5"}
    assert new_events[2].changes["net_amount"] == {"from": "300", "to": "590"}
    assert new_events[3].changes == {"revision": {"from": 0, "to": 1}}
    assert new_events[3].data["reason"] == "Клієнт збільшив обсяг"

    second = order_amend(
        by=manager, order=confirmed, reason="Уточнення", header={"comment": "друга"}
    )
    assert second.revision == 2


def test_an_amendment_needs_a_reason_and_a_change(manager, confirmed, draft):
    nails = confirmed.lines.get()
    with refused("amendment_reason_required"):
        order_amend(by=manager, order=confirmed, reason="  ", update={nails.pk: {"quantity": "5"}})
    with refused("nothing_to_amend"):
        order_amend(
            by=manager, order=confirmed, reason="нічого", update={nails.pk: {"quantity": "3"}}
        )
    with refused("quantity_not_positive"):
        order_amend(by=manager, order=confirmed, reason="x", update={nails.pk: {"quantity": "0"}})


def test_an_amendment_keeps_the_rate_fixed_at_confirmation(
    head, team, customer, contract, product, today
):
    exchange_rate_set(currency="USD", date=today - dt.timedelta(days=10), rate=D("40"))
    order = order_create(
        by=head,
        customer=customer,
        currency="USD",
        order_date=today - dt.timedelta(days=5),
        lines=[line(product, "10")],
    )
    exchange_rate_set(currency="USD", date=today - dt.timedelta(days=1), rate=D("42"))
    order_confirm(by=head, order=order)
    retail = PriceListFactory(code="RETAIL", name="Retail")
    PriceListItemFactory(price_list=retail, product=product, price=D("84"))

    order_amend(by=head, order=order, reason="Інший прайс", header={"price_list": retail.pk})

    order.refresh_from_db()
    assert order.exchange_rate == D("42")
    assert order.lines.get().unit_price == D("2.0000")  # 84 UAH / 42
    assert order.base_net_amount == D("840.00")


def test_cancel_needs_a_reason_from_the_catalogue(manager, draft):
    with refused("cancel_reason_required"):
        order_cancel(by=manager, order=draft, reason="")
    with refused("cancel_reason_unknown"):
        order_cancel(by=manager, order=draft, reason="bored")
    CancellationReason.objects.filter(code="duplicate").update(active=False)
    with refused("cancel_reason_unknown"):
        order_cancel(by=manager, order=draft, reason="duplicate")
    with refused("cancel_comment_required"):
        order_cancel(by=manager, order=draft, reason="other", comment="   ")


def test_cancel_with_other_and_a_comment(manager, draft):
    order_cancel(by=manager, order=draft, reason="other", comment="Клієнт закрив філію")

    draft.refresh_from_db()
    assert draft.status == OrderStatus.CANCELLED
    assert draft.cancel_reason.code == "other"
    assert draft.cancel_comment == "Клієнт закрив філію"
    assert draft.cancelled_at is not None
    cancelled = last_event(draft, "orders.order.cancelled")
    assert cancelled.changes == {"status": {"from": "draft", "to": "cancelled"}}
    assert cancelled.data["reason"] == "other"
    assert cancelled.data["comment"] == "Клієнт закрив філію"


def test_a_confirmed_order_cancels_with_a_reason_by_id(manager, confirmed):
    reason = CancellationReason.objects.get(code="customer_refused")
    order_cancel(by=manager, order=confirmed, reason=str(reason.pk))
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.cancel_reason) == (OrderStatus.CANCELLED, reason)


def test_an_order_with_shipments_cannot_be_cancelled(manager, confirmed):
    confirmed.lines.update(shipped_quantity=1)
    with refused("order_has_shipments"):
        order_cancel(by=manager, order=confirmed, reason="customer_refused")


def test_close_a_confirmed_order(manager, confirmed):
    order_close(by=manager, order=confirmed)
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CLOSED
    assert confirmed.closed_at is not None
    assert last_event(confirmed, "orders.order.closed").changes == {
        "status": {"from": "confirmed", "to": "closed"}
    }


def order_in(status: str, *, by, customer, product, head) -> Order:
    """An order in `status`: pending approval through a rule on prices below the list, a
    credit hold through a zero limit that blocks confirmation on a customer of its own."""
    from orderdesk.credit.services import limit_set

    if status == OrderStatus.CREDIT_HOLD:
        held = CustomerFactory(manager=by)
        ContractFactory(customer=held, price_list=customer.default_contract_price_list)
        limit_set(by=head.admin, customer=held, amount="0", mode="block_confirmation")
        customer = held
    order = order_create(by=by, customer=customer, lines=[line(product)])
    if status == OrderStatus.PENDING_APPROVAL:
        nails = order.lines.first()
        order_line_update(by=by, order=order, line_id=nails.pk, unit_price="90")
        order_submit(by=by, order=order)
    if status in (OrderStatus.CONFIRMED, OrderStatus.CLOSED, OrderStatus.CREDIT_HOLD):
        order_confirm(by=by, order=order)
    if status == OrderStatus.CLOSED:
        order_close(by=by, order=order)
    if status == OrderStatus.CANCELLED:
        order_cancel(by=by, order=order, reason="duplicate")
    order.refresh_from_db()
    assert order.status == status
    return order


def run_action(action: str, *, by, order: Order, head):
    """Each action through the service that takes it; the system's own moves (approve,
    reject, reopen, hold, release) through what causes them."""
    nails = order.lines.first()

    def hold():
        if order.status == OrderStatus.PENDING_APPROVAL:
            return order_decide(by=head, order=order, decision="approve")
        if order.status == OrderStatus.CONFIRMED:
            return order_amend(by=by, order=order, reason="r", update={nails.pk: {"quantity": "2"}})
        return order_confirm(by=by, order=order)

    def submit():
        if order.status == OrderStatus.DRAFT:  # a deviation a rule routes to approval
            order_line_update(by=by, order=order, line_id=nails.pk, unit_price="90")
        return order_submit(by=by, order=order)

    return {
        OrderAction.CONFIRM: lambda: order_confirm(by=by, order=order),
        OrderAction.SUBMIT: submit,
        OrderAction.CANCEL: lambda: order_cancel(by=by, order=order, reason="duplicate"),
        OrderAction.CLOSE: lambda: order_close(by=by, order=order),
        OrderAction.AMEND: lambda: order_amend(
            by=by, order=order, reason="r", update={nails.pk: {"quantity": "2"}}
        ),
        OrderAction.EDIT: lambda: order_line_update(
            by=by, order=order, line_id=nails.pk, quantity="2"
        ),
        OrderAction.RETURN: lambda: order_return_to_draft(by=by, order=order, reason="r"),
        OrderAction.APPROVE: lambda: order_decide(by=head, order=order, decision="approve"),
        OrderAction.REJECT: lambda: order_decide(
            by=head, order=order, decision="reject", comment="no"
        ),
        OrderAction.REOPEN: lambda: order_amend(
            by=by, order=order, reason="r", update={nails.pk: {"unit_price": "90"}}
        ),
        OrderAction.HOLD: hold,
        OrderAction.RELEASE: lambda: order_release(by=head.admin, order=order, comment="once"),
    }[action]()


@pytest.mark.parametrize("status", OrderStatus.values)
@pytest.mark.parametrize("action", OrderAction.values)
def test_the_services_allow_exactly_the_moves_of_the_transitions_table(
    status, action, manager, head, admin_user, customer, contract, product
):
    from orderdesk.approvals.services import rule_save
    from orderdesk.credit.services import limit_set

    head.admin = admin_user
    customer.default_contract_price_list = contract.price_list
    rule_save(
        by=admin_user, name="below list", kind="price_below_list", stages=[{"role": "sales_head"}]
    )
    order = order_in(status, by=manager, customer=customer, product=product, head=head)
    if action == OrderAction.HOLD:  # a zero limit that blocks confirmation holds the order
        limit_set(by=admin_user, customer=order.customer, amount="0", mode="block_confirmation")

    if (status, action) in TRANSITIONS:
        run_action(action, by=manager, order=order, head=head)
        order.refresh_from_db()
        assert order.status == TRANSITIONS[(status, action)]
    else:
        expected = {OrderAction.EDIT: "order_not_editable", OrderAction.RELEASE: "order_not_held"}
        with refused(expected.get(action, "invalid_transition"), 409):
            run_action(action, by=manager, order=order, head=head)


# --- copies and templates -------------------------------------------------------------------


def test_copy_takes_todays_standard_prices_and_keeps_manual_ones(
    manager, customer, contract, price_list, product, today
):
    bolt = ProductFactory(sku="BOLT")
    PriceListItemFactory(price_list=price_list, product=bolt, price=D("10"))
    original = order_create(
        by=manager,
        customer=customer,
        order_date=today - dt.timedelta(days=40),
        delivery_terms="EXW Бровари",
        discount_percent="2",
        lines=[line(product, "3"), line(bolt, "4", unit_price="9", discount_percent="5")],
    )
    PriceListItemFactory(price_list=price_list, product=product, price=D("110"), valid_from=today)

    copy = order_copy(by=manager, order=original)

    assert copy.pk != original.pk
    assert copy.number != original.number
    assert (copy.status, copy.order_date, copy.contract) == (OrderStatus.DRAFT, today, contract)
    assert copy.discount_percent == D("2")  # the order-level discount comes along
    nails, bolts = copy.lines.order_by("position")
    assert (nails.quantity, nails.unit_price) == (D("3"), D("110"))
    assert (bolts.quantity, bolts.unit_price, bolts.manual_discount_percent) == (
        D("4"),
        D("9"),
        D("5"),
    )
    # the line's 5 % and the order's 2 % give the same total discount as on the original
    assert bolts.discount_percent == original.lines.get(product=bolt).discount_percent
    assert last_event(copy, "orders.order.created").data == {"copied_from": original.number}


def test_copy_for_another_customer_uses_that_customers_contract(manager, customer, contract, draft):
    other = CustomerFactory(manager=manager)
    other_contract = ContractFactory(customer=other, price_list=contract.price_list)
    copy = order_copy(by=manager, order=draft, customer=other)
    assert (copy.customer, copy.contract) == (other, other_contract)
    assert copy.lines.get().quantity == D("3")
    assert copy.discount_percent == D("0")  # another customer's terms are that customer's


def test_a_template_creates_an_order_in_one_step(manager, customer, contract, product):
    bolt = ProductFactory(sku="BOLT")
    PriceListItemFactory(price_list=contract.price_list, product=bolt, price=D("10"))
    template = template_save(
        by=manager,
        name="  Щотижневе  ",
        lines=[line(product, "5"), line(bolt, "20", discount_percent="2")],
        comment="з шаблону",
    )
    assert template.name == "Щотижневе"
    assert list(template.lines.values_list("position", "quantity", "discount_percent")) == [
        (1, D("5"), D("0")),
        (2, D("20"), D("2")),
    ]

    order = order_create_from_template(by=manager, template=template, customer=customer)

    assert (order.contract, order.comment) == (contract, "з шаблону")
    nails, bolts = order.lines.order_by("position")
    assert (nails.quantity, nails.unit_price) == (D("5"), D("100"))
    assert (bolts.quantity, bolts.discount_percent, bolts.net_amount) == (
        D("20"),
        D("2"),
        D("196.00"),
    )
    assert last_event(order, "orders.order.created").data == {"template": "Щотижневе"}


def test_a_templates_terms_apply_under_the_users_rights(
    manager, head, team, customer, contract, product
):
    template = template_save(
        by=head,
        name="Передоплата",
        shared=True,
        lines=[line(product)],
        payment_terms=terms("prepay100").pk,
    )
    with refused("term_change_forbidden"):
        order_create_from_template(by=manager, template=template, customer=customer)
    order = order_create_from_template(by=head, template=template, customer=customer)
    assert order.payment_terms == terms("prepay100")


def test_template_from_an_order_and_who_may_change_it(manager, other_manager, draft):
    template = template_from_order(by=manager, order=draft, name="Як минулого разу")
    assert list(template.lines.values_list("product", "quantity")) == [
        (draft.lines.get().product_id, D("3"))
    ]
    # the draft's terms came from its contract: the template leaves them to each customer's own
    assert template.payment_terms is None and template.payment_method is None

    with refused("template_not_found", 404):
        template_get(user=other_manager, pk=template.pk)
    with refused("template_not_permitted", 403):
        template_delete(by=other_manager, template=template)
    template_delete(by=manager, template=template)
    assert not OrderTemplate.objects.filter(pk=template.pk).exists()


def test_a_template_of_a_standard_order_fits_a_customer_with_other_terms(
    manager, draft, price_list, product
):
    # given a template saved from an order on its contract's terms
    template = template_from_order(by=manager, order=draft, name="Стандарт")
    # and another customer of the same manager whose contract prepays 100 %
    other = CustomerFactory(short_name="Бета", manager=manager)
    ContractFactory(
        customer=other, number="7/2026", price_list=price_list, payment_terms=terms("prepay100")
    )
    # when the manager (without the payment-terms right) uses the template for that customer
    order = order_create_from_template(by=manager, template=template, customer=other)
    # then the order takes that customer's contract terms
    assert order.payment_terms == terms("prepay100")
    assert order.lines.get().product == product


def test_template_save_refuses_bad_templates(manager, product):
    warehouse_user = UserFactory(username="store", roles=["warehouse"])
    with refused("template_not_permitted", 403):
        template_save(by=warehouse_user, name="x", lines=[line(product)])
    with refused("template_name_required"):
        template_save(by=manager, name=" ", lines=[line(product)])
    with refused("template_empty"):
        template_save(by=manager, name="x", lines=[])
    with refused("quantity_not_positive"):
        template_save(by=manager, name="x", lines=[line(product, "0")])
    with refused("discount_out_of_range"):
        template_save(by=manager, name="x", lines=[line(product, discount_percent="120")])
    with refused("unknown_field"):
        template_save(by=manager, name="x", lines=[line(product)], currency="USD")
