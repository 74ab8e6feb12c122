"""Prices, discounts and terms on orders: the issue's "done when" stories.

A wholesale customer's contract price wins; a tier discount starts at its quantity; a manual
discount over the cap, a total discount over the order limit, a spent budget and a price
below cost each show as a deviation with its numbers; payment terms stay the contract's for
a user without the right, through the page and the API; every line says where its price and
its discount come from; every change of price or discount is history with before -> after.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from orderdesk.approvals import services as approvals
from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import DomainError
from orderdesk.customers.models import PaymentTerms
from orderdesk.orders.deviations import order_deviations
from orderdesk.orders.models import Order, OrderLine, TermRight
from orderdesk.orders.services import (
    LineInput,
    order_amend,
    order_confirm,
    order_create,
    order_line_add,
    order_line_update,
    order_update,
    term_rights_set,
)
from orderdesk.pricing import services as pricing
from orderdesk.pricing.models import ContractPrice
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    CustomerGroupFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    SalesTeamFactory,
    UserFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def main_warehouse(warehouse):
    return warehouse


@pytest.fixture
def wholesale(db, price_list):
    """The Wholesale group, whose customers buy from the Wholesale list."""
    group = CustomerGroupFactory(code="WHOLESALE", name="Оптові клієнти")
    price_list.customer_groups.add(group)
    return group


@pytest.fixture
def buyer(manager, wholesale):
    return CustomerFactory(short_name="Будмаркет", manager=manager, group=wholesale)


@pytest.fixture
def deal(buyer, price_list):
    """Contract 15/2026: no list of its own (the group's applies), manual discounts up to 10 %."""
    return ContractFactory(
        customer=buyer, number="15/2026", price_list=None, max_manual_discount=D("10")
    )


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def line(product, quantity="1", **kw) -> LineInput:
    return LineInput(product=product.pk, quantity=quantity, **kw)


def fresh(user):
    from django.contrib.auth.models import User

    return User.objects.get(pk=user.pk)


def deviation_numbers(order) -> list[tuple]:
    return [(d.kind, d.line, d.standard, d.value, d.limit) for d in order_deviations(order)]


def history(order, action: str) -> list[Event]:
    return list(Event.objects.filter(stream=stream_of(order), action=action).order_by("seq"))


# --- where prices come from ---------------------------------------------------------------------


def test_a_wholesale_customer_with_a_contract_price_gets_the_contract_price(
    manager, buyer, deal, price_list, product
):
    # GIVEN the contract agrees 88 for nails (the Wholesale list says 100), screws at list price
    ContractPrice.objects.create(
        contract=deal, product=product, price=D("88"), valid_from=dt.date(2026, 1, 1)
    )
    screws = ProductFactory(sku="SCREW-50", cost_price=D("25"))
    PriceListItemFactory(price_list=price_list, product=screws, price=D("40"))

    # WHEN the manager enters an order for the wholesale customer
    order = order_create(by=manager, customer=buyer, lines=[line(product, "10"), line(screws, "5")])

    # THEN the order takes the group's list, the nails the contract price, each line says why
    assert order.price_list == price_list
    nails, screw_line = order.lines.order_by("position")
    assert (nails.unit_price, nails.list_price) == (D("88"), D("88"))
    assert nails.price_source == "contract 15/2026, individual price"
    assert (screw_line.unit_price, screw_line.price_source) == (
        D("40"),
        "list Wholesale from 2020-01-01",
    )
    assert deviation_numbers(order) == []

    body = api_for(manager).get(f"/api/v1/orders/{order.pk}/").json()
    assert [li["price_source"] for li in body["lines"]] == [
        "contract 15/2026, individual price",
        "list Wholesale from 2020-01-01",
    ]


def test_every_line_explains_its_price(manager, admin_user, buyer, deal, price_list, product):
    # contract price, list item, quantity break, derived list, cost-plus list, by hand
    ContractPrice.objects.create(
        contract=deal, product=product, price=D("88"), valid_from=dt.date(2026, 1, 1)
    )
    bulk = ProductFactory(sku="BULK")
    PriceListItemFactory(price_list=price_list, product=bulk, price=D("10"))
    PriceListItemFactory(price_list=price_list, product=bulk, price=D("9"), min_quantity=D("100"))
    plain = ProductFactory(sku="PLAIN")
    PriceListItemFactory(price_list=price_list, product=plain, price=D("20"))
    order = order_create(
        by=manager,
        customer=buyer,
        lines=[line(product), line(bulk, "100"), line(plain), line(plain, unit_price="19")],
    )
    sources = [li.price_source for li in order.lines.order_by("position")]
    assert sources == [
        "contract 15/2026, individual price",
        "list Wholesale from 2020-01-01 (from 100)",
        "list Wholesale from 2020-01-01",
        "entered by hand",
    ]

    retail = pricing.price_list_create(
        by=admin_user, code="RETAIL", name="Retail", currency="UAH", kind="derived",
        base_list=price_list, percent=D("10"), rounding="1",
    )  # fmt: skip
    cost = pricing.price_list_create(
        by=admin_user, code="COST", name="Cost+", currency="UAH", kind="cost_plus",
        percent=D("50"),
    )  # fmt: skip
    other = CustomerFactory(manager=manager)
    ContractFactory(customer=other, price_list=None)
    derived = order_create(by=manager, customer=other, price_list=retail.pk, lines=[line(plain)])
    assert derived.lines.get().price_source == "list Retail from 2020-01-01 (Wholesale +10 %)"
    assert derived.lines.get().unit_price == D("22")
    costed = order_create(by=manager, customer=other, price_list=cost.pk, lines=[line(plain)])
    assert costed.lines.get().price_source == "list Cost+ (cost 60 +50 %)"
    assert all(li.price_source for li in OrderLine.objects.all())


# --- automatic discounts --------------------------------------------------------------------------


def test_a_tier_discount_applies_from_the_tier_quantity(admin_user, manager, buyer, deal, product):
    pricing.discount_policy_create(
        by=admin_user, code="QTY", name="Quantity", kind="quantity",
        tiers=[{"from": "10", "percent": "3"}, {"from": "50", "percent": "5"}],
        valid_from=dt.date(2020, 1, 1), stacking="additive",
    )  # fmt: skip

    order = order_create(by=manager, customer=buyer, lines=[line(product, "9.999")])
    only = order.lines.get()
    assert (only.auto_discount_percent, only.discount_percent, only.discount_source) == (
        D("0"),
        D("0"),
        "",
    )

    order_line_update(by=manager, order=order, line_id=only.pk, quantity="10")
    only.refresh_from_db()
    assert (only.auto_discount_percent, only.discount_percent) == (D("3"), D("3"))
    assert only.discount_source == "Quantity 3 % (added)"
    assert only.net_amount == D("970.00")

    order_line_update(by=manager, order=order, line_id=only.pk, quantity="50", discount_percent="2")
    only.refresh_from_db()
    # 5 % automatic, then 2 % manual off what remains: 100 - 95 x 0.98 = 6.9
    assert (only.auto_discount_percent, only.manual_discount_percent, only.discount_percent) == (
        D("5"),
        D("2"),
        D("6.9"),
    )
    assert only.discount_source == "Quantity 5 % (added) + manual 2 %"
    assert only.discount_breakdown["auto"][0]["code"] == "QTY"

    # the breakdown's every move is history, before -> after
    changes = [e.changes for e in history(order, "orders.line.changed")]
    assert changes[0]["auto_discount_percent"] == {"from": "0", "to": "3"}
    assert changes[0]["discount_source"] == {"from": "", "to": "Quantity 3 % (added)"}
    assert changes[1]["manual_discount_percent"] == {"from": "0", "to": "2"}
    assert changes[1]["discount_percent"] == {"from": "3", "to": "6.9"}


def test_policies_stack_by_priority_and_the_line_shows_how(
    admin_user, manager, buyer, deal, product, wholesale
):
    pricing.discount_policy_create(
        by=admin_user, code="GROUP", name="Wholesale", kind="customer_group",
        customer_group=wholesale.pk, percent="5", priority=100, stacking="additive",
        valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    pricing.discount_policy_create(
        by=admin_user, code="AMOUNT", name="Big order", kind="order_amount",
        tiers=[{"from": "5000", "percent": "2"}], priority=50, stacking="compound",
        valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    small = order_create(by=manager, customer=buyer, lines=[line(product, "10")])
    assert small.lines.get().discount_percent == D("5")
    big = order_create(by=manager, customer=buyer, lines=[line(product, "60")])
    big_line = big.lines.get()
    assert big_line.discount_percent == D("6.9")  # 100 - 95 x 0.98
    assert big_line.discount_source == "Wholesale 5 % (added) + Big order 2 % (compounded)"

    # an exclusive promotion above them applies alone
    pricing.discount_policy_create(
        by=admin_user, code="PROMO", name="Promo", kind="customer_group",
        customer_group=wholesale.pk, percent="4", priority=500, stacking="exclusive",
        valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    promo = order_create(by=manager, customer=buyer, lines=[line(product, "60")])
    assert promo.lines.get().discount_percent == D("4")
    assert promo.lines.get().discount_source == "Promo 4 % (alone)"


def test_the_order_discount_needs_the_discount_right_and_is_history(manager, buyer, deal, product):
    order = order_create(
        by=manager, customer=buyer, lines=[line(product, "10", discount_percent="5")]
    )

    order_update(by=manager, order=order, discount_percent="2")

    order.refresh_from_db()
    only = order.lines.get()
    assert order.discount_percent == D("2")
    assert (only.discount_percent, only.discount_source) == (D("6.9"), "manual 5 % + order 2 %")
    assert history(order, "orders.order.changed")[-1].changes["discount_percent"] == {
        "from": "0",
        "to": "2",
    }
    assert history(order, "orders.line.changed")[-1].changes["discount_percent"] == {
        "from": "5",
        "to": "6.9",
    }

    TermRight.objects.filter(role="sales_manager", term="discount").delete()
    before = Order.objects.values().get(pk=order.pk)
    with pytest.raises(DomainError) as caught:
        order_update(by=fresh(manager), order=order, discount_percent="3")
    assert (caught.value.code, caught.value.status) == ("term_change_forbidden", 403)
    assert caught.value.fields == {"discount_percent": "3"}
    assert Order.objects.values().get(pk=order.pk) == before


def test_a_confirmed_order_keeps_its_discounts_when_an_amendment_does_not_touch_the_line(
    admin_user, manager, buyer, deal, product, wholesale
):
    policy = pricing.discount_policy_create(
        by=admin_user, code="GROUP", name="Wholesale", kind="customer_group",
        customer_group=wholesale.pk, percent="5", valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    order = order_confirm(
        by=manager, order=order_create(by=manager, customer=buyer, lines=[line(product, "10")])
    )
    pricing.discount_policy_update(by=admin_user, policy=policy, percent="9")

    order_amend(by=manager, order=order, reason="ще цвяхи", add=[line(product, "1")])

    first, added = order.lines.order_by("position")
    assert (first.discount_percent, added.discount_percent) == (D("5"), D("9"))


# --- deviations, with their numbers ----------------------------------------------------------------


def test_a_manual_discount_above_the_managers_cap_is_a_deviation(
    admin_user, manager, buyer, deal, product
):
    # the manager's role may give 5 % (the contract would allow 10 %): 8 % is entered, not refused
    order = order_create(
        by=manager, customer=buyer, lines=[line(product, "10", discount_percent="8")]
    )
    assert order.lines.get().discount_percent == D("8")
    (deviation,) = order_deviations(order)
    assert deviation.approvers == ()  # no approval rule asks for it yet
    approvals.rule_save(
        by=admin_user,
        name="Discount above the cap",
        kind="discount_over_cap",
        stages=[{"role": "sales_head", "mode": "any"}],
    )
    (deviation,) = order_deviations(order)
    assert deviation.as_dict() == {
        "kind": "discount_over_cap",
        "line": 1,
        "line_id": order.lines.get().pk,
        "standard": "0",
        "value": "8",
        "limit": "5",
        "unit": "%",
        "approvers": ["sales_head"],
        "detail": {"role_cap": "5", "contract_cap": "10"},
    }


def test_a_total_discount_above_the_order_limit_is_a_deviation(
    admin_user, manager, buyer, deal, product
):
    pricing.pricing_limits_update(
        by=admin_user, max_order_discount_percent="10", max_order_discount_amount="100"
    )
    order = order_create(
        by=manager, customer=buyer, discount_percent="5",
        lines=[line(product, "10", discount_percent="5")],
    )  # fmt: skip
    # 1000 before discounts, 100 - 95 x 0.95 = 9.75 % -> net 902.50, 97.50 off
    assert deviation_numbers(order) == []
    order_update(by=manager, order=order, discount_percent="6")
    # 100 - 95 x 0.94 = 10.70 % -> net 893.00, 107.00 off
    assert deviation_numbers(order) == [
        ("total_discount_over_limit", None, D("0.00"), D("10.70"), D("10")),
        ("total_discount_over_limit", None, D("0.00"), D("107.00"), D("100")),
    ]


def test_an_exhausted_discount_budget_is_a_deviation(admin_user, manager, buyer, deal, product):
    today = timezone.localdate()
    pricing.discount_budget_create(
        by=admin_user, manager=manager, period_start=today - dt.timedelta(days=3),
        period_end=today + dt.timedelta(days=3), amount="100",
    )  # fmt: skip
    # an earlier confirmed order gave 4 % of 2000 = 80; a draft does not count
    earlier = order_create(
        by=manager, customer=buyer, lines=[line(product, "20", discount_percent="4")]
    )
    order_confirm(by=manager, order=earlier)
    earlier.refresh_from_db()
    assert earlier.base_granted_discount_amount == D("80.00")
    order_create(by=manager, customer=buyer, lines=[line(product, "50", discount_percent="5")])

    order = order_create(
        by=manager, customer=buyer, lines=[line(product, "10", discount_percent="2")]
    )
    assert deviation_numbers(order) == []  # 80 + 20 is the budget, not beyond it
    order_line_update(by=manager, order=order, line_id=order.lines.get().pk, discount_percent="5")

    assert deviation_numbers(order) == [
        ("discount_budget_exceeded", None, D("80.00"), D("130.00"), D("100.00")),
    ]


def test_a_price_below_cost_is_a_deviation(admin_user, manager, head, buyer, deal, product):
    approvals.rule_save(
        by=admin_user,
        name="Below the floor",
        kind="price_below_floor",
        stages=[{"role": "sales_head", "mode": "any"}, {"role": "administrator", "mode": "any"}],
    )
    approvals.rule_save(  # a threshold the deviation stays under: this rule does not apply
        by=admin_user,
        name="Far below the list",
        kind="price_below_list",
        threshold="1000",
        stages=[{"role": "credit_controller", "mode": "any"}],
    )
    team = SalesTeamFactory(head=head)
    team.members.add(manager)
    order = order_create(by=manager, customer=buyer, lines=[line(product, "2", unit_price="55")])
    assert deviation_numbers(order) == [
        ("price_below_list", 1, D("100"), D("55"), None),
        ("price_below_floor", 1, D("60"), D("55.0000"), D("60")),
    ]
    body = api_for(manager).get(f"/api/v1/orders/{order.pk}/").json()
    assert [
        (d["kind"], d["standard"], d["value"], d["limit"], d["unit"]) for d in body["deviations"]
    ] == [
        ("price_below_list", "100", "55", None, "UAH"),
        ("price_below_floor", "60", "55", "60", "UAH"),
    ]
    assert body["deviations"][0]["approvers"] == []
    assert body["deviations"][1]["approvers"] == ["sales_head", "administrator"]


def test_terms_other_than_the_contracts_are_deviations(head, buyer, deal, product):
    buyer.manager = head
    buyer.save()
    order = order_create(
        by=head, customer=buyer, payment_terms=PaymentTerms.objects.get(code="net30").pk,
        lines=[line(product)],
    )  # fmt: skip
    assert deviation_numbers(order) == [("payment_terms_longer", None, 14, 30, None)]


# --- rights on terms --------------------------------------------------------------------------------


def test_a_user_without_the_right_cannot_change_payment_terms_through_the_api(
    manager, buyer, deal, product
):
    net30 = PaymentTerms.objects.get(code="net30")
    order = order_create(by=manager, customer=buyer, lines=[line(product)])
    api = api_for(manager)
    before = (Order.objects.values().get(pk=order.pk), Event.objects.count())

    patched = api.patch(f"/api/v1/orders/{order.pk}/", {"payment_terms": net30.pk}, format="json")
    slipped = api.post(
        "/api/v1/orders/",
        {
            "customer": buyer.pk,
            "payment_terms": net30.pk,
            "lines": [{"product": product.pk, "quantity": "1"}],
        },
        format="json",
    )
    amended = api.post(
        f"/api/v1/orders/{order.pk}/amendments/",
        {"reason": "x", "header": {"payment_terms": net30.pk}},
        format="json",
    )

    for response in (patched, slipped):
        assert response.status_code == 403
        assert response.json()["code"] == "term_change_forbidden"
        assert response.json()["fields"] == {"payment_terms": str(net30)}
    assert amended.status_code in (403, 409)
    assert (Order.objects.values().get(pk=order.pk), Event.objects.count()) == before
    assert Order.objects.count() == 1


def test_a_user_without_the_right_cannot_change_payment_terms_through_the_page(
    client, manager, head, buyer, deal, product
):
    net30 = PaymentTerms.objects.get(code="net30")
    order = order_create(by=manager, customer=buyer, lines=[line(product)])
    client.force_login(manager)

    card = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    field = card[
        card.index('name="payment_terms"') - 200 : card.index('name="payment_terms"') + 200
    ]
    assert "disabled" in field

    before = (Order.objects.values().get(pk=order.pk), Event.objects.count())
    response = client.post(
        reverse("orders:update", args=[order.pk]),
        {"payment_terms": net30.pk, "payment_method": order.payment_method_id},
    )
    assert response.status_code == 403
    assert "term_change_forbidden" in response.content.decode()
    assert (Order.objects.values().get(pk=order.pk), Event.objects.count()) == before

    # the head of sales has the right: the same field is open to her
    team = SalesTeamFactory(head=head)
    team.members.add(manager)
    client.force_login(head)
    card = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    field = card[
        card.index('name="payment_terms"') - 200 : card.index('name="payment_terms"') + 200
    ]
    assert "disabled" not in field


def test_reassigning_the_responsible_manager_is_a_right_of_its_own(
    manager, head, buyer, deal, product
):
    team = SalesTeamFactory(head=head)
    team.members.add(manager)
    colleague = UserFactory(username="colleague", roles=["sales_manager"])
    order = order_create(by=manager, customer=buyer, lines=[line(product)])

    refused = api_for(manager).patch(
        f"/api/v1/orders/{order.pk}/", {"manager": colleague.pk}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "term_change_forbidden"
    assert refused.json()["fields"] == {"manager": str(colleague)}

    done = api_for(head).patch(
        f"/api/v1/orders/{order.pk}/", {"manager": colleague.pk}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["manager"]["id"] == colleague.pk
    assert history(order, "orders.order.changed")[-1].changes["manager"]["to"] == str(colleague)


def test_a_line_discount_slipped_in_without_the_right_is_refused(manager, buyer, deal, product):
    TermRight.objects.filter(role="sales_manager", term="discount").delete()
    order = order_create(by=fresh(manager), customer=buyer, lines=[line(product)])
    api = api_for(fresh(manager))
    response = api.post(
        f"/api/v1/orders/{order.pk}/lines/",
        {"product": product.pk, "quantity": "1", "discount_percent": "3"},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "term_change_forbidden")
    assert response.json()["fields"] == {"lines[0].discount_percent": "discount"}
    assert order.lines.count() == 1


def test_the_rights_matrix_is_the_administrators_through_api_and_page(
    client, admin_user, manager, buyer, deal, product
):
    api = api_for(admin_user)
    matrix = api.get("/api/v1/term-rights/").json()
    assert matrix["rights"]["sales_head"] == sorted(
        [
            "currency",
            "delivery_terms",
            "discount",
            "manager",
            "payment_method",
            "payment_terms",
            "price",
        ]
    )
    assert api_for(manager).get("/api/v1/term-rights/").json()["code"] == "term_rights_forbidden"
    bad = api.put(
        "/api/v1/term-rights/", {"rights": {"sales_manager": ["everything"]}}, format="json"
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "term_unknown")

    response = api.put(
        "/api/v1/term-rights/",
        {"rights": {"sales_manager": ["price", "discount", "delivery_terms", "payment_terms"]}},
        format="json",
    )
    assert response.status_code == 200
    net30 = PaymentTerms.objects.get(code="net30")
    order = order_create(
        by=fresh(manager), customer=buyer, payment_terms=net30.pk, lines=[line(product)]
    )
    assert order.payment_terms == net30
    from django.contrib.auth.models import Group

    (event,) = Event.objects.filter(stream=stream_of(Group.objects.get(name="sales_manager")))
    assert event.action == "orders.term_rights.changed"
    assert event.changes["terms"]["to"] == ["delivery_terms", "discount", "payment_terms", "price"]

    client.force_login(manager)
    assert client.get(reverse("orders:term_rights")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("orders:term_rights"))
    assert page.status_code == 200
    html = page.content.decode()
    cell = html[html.index('value="sales_manager:payment_terms"') :][:120]
    assert " checked" in cell
    client.post(reverse("orders:term_rights"), {"right": ["sales_manager:price"]})
    assert list(TermRight.objects.filter(role="sales_manager").values_list("term", flat=True)) == [
        "price"
    ]


def test_term_rights_set_refuses_non_administrators(manager):
    with pytest.raises(DomainError) as caught:
        term_rights_set(by=manager, rights={"sales_manager": ["currency"]})
    assert caught.value.code == "term_rights_forbidden"
    assert not TermRight.objects.filter(role="sales_manager", term="currency").exists()


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda m, c, p: order_create(by=m, customer=c, lines=[line(p, discount_percent="100.01")]), "discount_out_of_range"),
        (lambda m, c, p: order_create(by=m, customer=c, lines=[line(p, unit_price="-1")]), "price_negative"),
        (lambda m, c, p: order_create(by=m, customer=c, discount_percent="101", lines=[line(p)]), "discount_out_of_range"),
        (lambda m, c, p: order_create(by=m, customer=c, discount_percent="-2", lines=[line(p)]), "discount_out_of_range"),
    ],
)  # fmt: skip
def test_nonsense_is_refused_at_entry_and_nothing_saved(manager, buyer, deal, product, call, code):
    before = (Order.objects.count(), Event.objects.count())
    with pytest.raises(DomainError) as caught:
        call(manager, buyer, product)
    assert caught.value.code == code
    assert (Order.objects.count(), Event.objects.count()) == before


# --- the order card -------------------------------------------------------------------------------


def test_the_order_card_shows_the_deviations_panel_and_refreshes_it(
    client, manager, buyer, deal, product
):
    order = order_create(
        by=manager, customer=buyer, lines=[line(product, "1", discount_percent="8")]
    )
    client.force_login(manager)
    card = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert 'id="order-deviations"' in card
    assert "discount_over_cap" in card
    assert "manual 8 %" in card  # the line explains its discount

    order_line_update(by=manager, order=order, line_id=order.lines.get().pk, discount_percent="4")
    fragment = client.get(
        reverse("orders:deviations", args=[order.pk]), headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "discount_over_cap" not in fragment.content.decode()
    assert "keeps to its contract" in fragment.content.decode()


def test_the_warehouse_sees_no_prices_panel(client, manager, buyer, deal, product):
    order = order_create(by=manager, customer=buyer, lines=[line(product)])
    keeper = UserFactory(username="keeper", roles=["warehouse"])
    client.force_login(keeper)
    assert client.get(reverse("orders:deviations", args=[order.pk])).status_code == 404


def test_line_add_through_the_service_gets_automatic_discounts(
    admin_user, manager, buyer, deal, product, wholesale
):
    order = order_create(by=manager, customer=buyer, lines=[line(product)])
    pricing.discount_policy_create(
        by=admin_user, code="GROUP", name="Wholesale", kind="customer_group",
        customer_group=wholesale.pk, percent="5", valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    added = order_line_add(by=manager, order=order, line=line(product, "2"))
    first = order.lines.get(position=1)
    # on a draft, every line is priced again under today's policies
    assert (first.discount_percent, added.discount_percent) == (D("5"), D("5"))
    assert history(order, "orders.line.changed")[-1].changes["auto_discount_percent"] == {
        "from": "0",
        "to": "5",
    }


def test_a_customer_group_price_list_is_used_without_a_contract(
    head, wholesale, price_list, product
):
    customer = CustomerFactory(manager=head, group=wholesale)
    other_list = PriceListFactory(code="OTHER")
    PriceListItemFactory(price_list=other_list, product=product, price=D("1"))
    order = order_create(
        by=head, customer=customer, payment_terms=PaymentTerms.objects.get(code="net14").pk,
        payment_method=deal_method(), lines=[line(product)],
    )  # fmt: skip
    assert order.price_list == price_list
    assert order.lines.get().unit_price == D("100")


def deal_method():
    from orderdesk.customers.models import PaymentMethod

    return PaymentMethod.objects.get(code="bank").pk


def test_a_price_put_back_to_the_standard_says_where_it_comes_from(manager, buyer, deal, product):
    order = order_create(by=manager, customer=buyer, lines=[line(product, unit_price="90")])
    only = order.lines.get()
    assert only.price_source == "entered by hand"
    order_line_update(by=manager, order=order, line_id=only.pk, unit_price="100")
    only.refresh_from_db()
    assert only.price_source == "list Wholesale from 2020-01-01"


def test_pricing_an_order_takes_the_same_queries_for_5_or_40_lines(
    manager, buyer, deal, price_list, wholesale, admin_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pricing.discount_policy_create(
        by=admin_user, code="GROUP", name="Wholesale", kind="customer_group",
        customer_group=wholesale.pk, percent="5", valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    products = [ProductFactory() for _ in range(40)]
    for p in products:
        PriceListItemFactory(price_list=price_list, product=p, price=D("10"))
    for p in products[::3]:
        ContractPrice.objects.create(
            contract=deal, product=p, price=D("9"), valid_from=dt.date(2020, 1, 1)
        )

    def queries(n: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            order_create(by=manager, customer=buyer, lines=[line(p, "2") for p in products[:n]])
        return len(ctx.captured_queries)

    queries(1)  # warm the per-process caches (content types, the user's roles)
    assert queries(5) == queries(40)
