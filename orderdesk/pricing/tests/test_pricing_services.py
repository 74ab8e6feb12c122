"""Pricing services: where a price comes from (one query per kind), derived and cost-plus
lists, contract prices, discount policies and limits — their refusals (stable code, nothing
saved) and their history (before -> after)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import DomainError
from orderdesk.pricing import services
from orderdesk.pricing.models import (
    ContractPrice,
    DiscountBudget,
    DiscountPolicy,
    PriceList,
    PriceListItem,
    PricingLimits,
    RoleDiscountCap,
)
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    CustomerGroupFactory,
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductGroupFactory,
    UserFactory,
)

D = Decimal
ON = dt.date(2026, 11, 2)


def state() -> dict:
    return {
        "lists": list(PriceList.objects.order_by("pk").values()),
        "items": list(PriceListItem.objects.order_by("pk").values()),
        "contract_prices": list(ContractPrice.objects.order_by("pk").values()),
        "policies": list(DiscountPolicy.objects.order_by("pk").values()),
        "limits": list(PricingLimits.objects.order_by("pk").values()),
        "caps": list(RoleDiscountCap.objects.order_by("pk").values()),
        "budgets": list(DiscountBudget.objects.order_by("pk").values()),
        "events": Event.objects.count(),
    }


@contextmanager
def refused(code: str):
    before = state()
    with pytest.raises(DomainError) as caught:
        yield caught
    assert caught.value.code == code, caught.value
    assert state() == before, "a refused call changed the database"


def events(stream: str) -> list[Event]:
    return list(Event.objects.filter(stream=stream).order_by("seq"))


def quote(price_list, products, qty="1", contract=None, currency="UAH", rate="1"):
    products = list(products)
    return services.quote_prices(
        price_list=price_list,
        products=products,
        quantities={p.pk: D(qty) for p in products},
        on=ON,
        currency=currency,
        order_rate=D(rate),
        contract=contract,
    )


# --- where the price comes from ---------------------------------------------------------------


def test_a_contract_price_wins_over_the_list_and_says_so(customer, price_list, product):
    contract = ContractFactory(customer=customer, number="15/2026", price_list=price_list)
    ContractPrice.objects.create(
        contract=contract, product=product, price=D("88"), valid_from=dt.date(2026, 1, 1)
    )
    other = ProductFactory(sku="SCREW")
    PriceListItemFactory(price_list=price_list, product=other, price=D("40"))

    quotes = quote(price_list, [product, other], contract=contract)

    assert quotes[product.pk].price == D("88")
    assert quotes[product.pk].source == "contract 15/2026, individual price"
    assert quotes[product.pk].kind == "contract"
    assert quotes[other.pk].price == D("40")
    assert quotes[other.pk].source == "list Wholesale from 2020-01-01"


def test_a_contract_price_outside_its_validity_gives_way_to_the_list(customer, price_list, product):
    contract = ContractFactory(customer=customer, price_list=price_list)
    ContractPrice.objects.create(
        contract=contract, product=product, price=D("88"), valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 10, 31),
    )  # fmt: skip
    assert quote(price_list, [product], contract=contract)[product.pk].price == D("100")


def test_a_contract_price_in_another_currency_converts(customer, price_list, product):
    ExchangeRateFactory(currency_id="EUR", date=dt.date(2026, 1, 1), rate=D("45"))
    contract = ContractFactory(customer=customer, price_list=price_list, currency_id="EUR")
    ContractPrice.objects.create(
        contract=contract, product=product, price=D("2"), valid_from=dt.date(2026, 1, 1)
    )
    assert quote(price_list, [product], contract=contract)[product.pk].price == D("90.0000")


def test_a_derived_list_computes_from_its_base_and_its_own_item_wins(price_list, product):
    retail = PriceListFactory(
        code="RETAIL", name="Retail", kind="derived", base_list=price_list,
        percent=D("15"), rounding="end_90",
    )  # fmt: skip
    own = ProductFactory(sku="OWN")
    PriceListItemFactory(price_list=price_list, product=own, price=D("50"))
    PriceListItemFactory(price_list=retail, product=own, price=D("55"))

    quotes = quote(retail, [product, own])

    assert quotes[product.pk].price == D("114.90")  # 100 + 15 % = 115 -> nearest .90
    assert quotes[product.pk].kind == "derived"
    assert quotes[product.pk].source == "list Retail from 2020-01-01 (Wholesale +15 %)"
    assert quotes[own.pk].price == D("55")


def test_a_cost_plus_list_marks_up_the_cost(product):
    cost_plus = PriceListFactory(
        code="COSTPLUS", name="Cost+", kind="cost_plus", percent=D("25"), rounding="1"
    )
    quotes = quote(cost_plus, [product])
    assert quotes[product.pk].price == D("75")  # 60 x 1.25
    assert quotes[product.pk].source == "list Cost+ (cost 60 +25 %)"


def test_quotes_take_one_query_per_kind_whatever_the_number_of_products(customer, price_list):
    retail = PriceListFactory(code="RETAIL", kind="derived", base_list=price_list, percent=D(5))
    contract = ContractFactory(customer=customer, price_list=retail)
    products = [ProductFactory() for _ in range(30)]
    for p in products:
        PriceListItemFactory(price_list=price_list, product=p, price=D("10"))
    for p in products[:10]:
        ContractPrice.objects.create(contract=contract, product=p, price=D(9), valid_from=ON)
    retail = PriceList.objects.get(pk=retail.pk)

    with CaptureQueriesContext(connection) as ctx:
        quotes = quote(retail, products, contract=contract)

    assert len(quotes) == 30
    # contract prices with the list's own items (one UNION ALL), the base list row, the base
    # list's items
    assert len(ctx.captured_queries) == 3
    assert " UNION ALL " in ctx.captured_queries[0]["sql"]


def test_the_customers_group_list_applies_when_the_contract_names_none(db, manager):
    group = CustomerGroupFactory(code="WHOLESALE")
    wholesale = PriceListFactory(code="W", name="Wholesale")
    wholesale.customer_groups.add(group)
    customer = CustomerFactory(manager=manager, group=group)
    assert services.group_price_list(customer) == wholesale
    assert services.group_price_list(CustomerFactory(manager=manager)) is None


# --- price lists -------------------------------------------------------------------------------


def test_a_price_list_in_a_currency_without_any_rate_is_refused(admin_user):
    with refused("exchange_rate_missing") as caught:
        services.price_list_create(by=admin_user, code="EXP", name="Export", currency="EUR")
    assert caught.value.fields == {"currency": "EUR"}


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"kind": "derived"}, "base_list_required"),
        ({"kind": "derived", "base_list": "COSTPLUS"}, "base_list_not_plain"),
        ({"kind": "cost_plus", "percent": D("-100")}, "percent_out_of_range"),
        ({"kind": "magic"}, "price_list_kind_invalid"),
        ({"rounding": "0.05"}, "rounding_invalid"),
    ],
)
def test_bad_price_list_kinds_are_refused(admin_user, price_list, values, code):
    cost_plus = PriceListFactory(code="COSTPLUS", kind="cost_plus")
    if values.get("base_list") == "COSTPLUS":
        values = {**values, "base_list": cost_plus}
    with refused(code):
        services.price_list_create(by=admin_user, code="NEW", name="New", currency="UAH", **values)


def test_a_list_cannot_derive_from_itself_nor_stop_being_a_base(admin_user, price_list):
    retail = services.price_list_create(
        by=admin_user, code="RETAIL", name="Retail", currency="UAH", kind="derived",
        base_list=price_list.pk, percent=D("10"),
    )  # fmt: skip
    with refused("base_list_cycle"):
        services.price_list_update(by=admin_user, price_list=retail, base_list=retail)
    with refused("base_list_in_use"):
        services.price_list_update(by=admin_user, price_list=price_list, kind="cost_plus")
    changed = events(stream_of(retail))[-1]
    assert changed.changes["kind"] == {"from": None, "to": "derived"}
    assert changed.changes["base_list"] == {"from": None, "to": "Wholesale"}


# --- contract prices ------------------------------------------------------------------------------


def test_contract_prices_are_checked_and_recorded_in_the_customers_history(
    admin_user, contract, product
):
    item = services.contract_price_add(
        by=admin_user, contract=contract, product=product, price=D("90"), valid_from=ON
    )
    with refused("price_period_overlap") as caught:
        services.contract_price_add(
            by=admin_user, contract=contract, product=product, price=D("80"),
            valid_from=dt.date(2026, 12, 1),
        )  # fmt: skip
    assert caught.value.fields["conflicts_with"] == item.pk
    with refused("price_negative"):
        services.contract_price_update(by=admin_user, item=item, price=D("-1"))
    services.contract_price_update(by=admin_user, item=item, price=D("85"))
    services.contract_price_remove(by=admin_user, item=item)

    history = [
        (e.action, e.changes.get("price"))
        for e in events(stream_of(contract.customer))
        if e.action.startswith("pricing.contract_price")
    ]
    assert history == [
        ("pricing.contract_price.added", {"from": None, "to": "90"}),
        ("pricing.contract_price.changed", {"from": "90", "to": "85"}),
        ("pricing.contract_price.removed", {"from": "85", "to": None}),
    ]


def test_a_manager_may_not_set_contract_prices(manager, contract, product):
    with refused("contract_edit_forbidden"):
        services.contract_price_add(by=manager, contract=contract, product=product, price=D(1))


# --- discount policies ---------------------------------------------------------------------------


def policy(admin, **values):
    values = {
        "code": "WHOLESALE5", "name": "Wholesale 5 %", "kind": "customer_group",
        "percent": "5", "valid_from": dt.date(2026, 1, 1), **values,
    }  # fmt: skip
    if values["kind"] == "customer_group" and "customer_group" not in values:
        values["customer_group"] = CustomerGroupFactory(code="WHOLESALE").pk
    return services.discount_policy_create(by=admin, **values)


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"percent": "100.5"}, "discount_out_of_range", "percent"),
        ({"percent": "-1"}, "discount_out_of_range", "percent"),
        (
            {
                "kind": "quantity",
                "tiers": [{"from": "100", "percent": "5"}, {"from": "10", "percent": "2"}],
            },
            "tiers_out_of_order",
            "tiers[1].from",
        ),
        (
            {
                "kind": "quantity",
                "tiers": [{"from": "10", "percent": "5"}, {"from": "100", "percent": "2"}],
            },
            "tiers_out_of_order",
            "tiers[1].percent",
        ),
        (
            {"kind": "order_amount", "tiers": [{"from": "1000", "percent": "150"}]},
            "discount_out_of_range",
            "tiers[0].percent",
        ),
        (
            {"kind": "quantity", "tiers": [{"from": "x", "percent": "1"}]},
            "number_invalid",
            "tiers[0].from",
        ),
        ({"kind": "quantity", "tiers": []}, "tiers_required", "tiers"),
        (
            {"kind": "customer_group", "customer_group": None},
            "customer_group_required",
            "customer_group",
        ),
        ({"kind": "product_group"}, "product_group_required", "product_group"),
        ({"valid_to": dt.date(2025, 1, 1)}, "policy_period_invalid", "valid_to"),
        ({"stacking": "sometimes"}, "stacking_invalid", "stacking"),
        ({"priority": -1}, "priority_out_of_range", "priority"),
    ],
)
def test_bad_discount_policies_are_refused_naming_the_field(admin_user, values, code, field):
    group = CustomerGroupFactory(code="WHOLESALE")
    values.setdefault("customer_group", group.pk)
    with refused(code) as caught:
        policy(admin_user, **values)
    assert field in caught.value.fields


def test_a_policy_change_is_recorded_before_and_after(admin_user, manager):
    created = policy(admin_user)
    with refused("master_data_forbidden"):
        services.discount_policy_update(by=manager, policy=created, percent="7")
    services.discount_policy_update(by=admin_user, policy=created, percent="7", priority=200)

    first, second = events(stream_of(created))
    assert first.action == "pricing.discount_policy.created"
    assert first.changes["percent"] == {"from": None, "to": "5"}
    assert second.action == "pricing.discount_policy.changed"
    assert second.changes == {
        "percent": {"from": "5", "to": "7"},
        "priority": {"from": 100, "to": 200},
    }


def test_tiers_are_stored_in_order_and_read_back_as_rules(admin_user):
    created = policy(
        admin_user, code="QTY", kind="quantity",
        tiers=[["10", "2"], {"from": "100", "percent": "4.5"}], customer_group=None,
    )  # fmt: skip
    assert created.tiers == [{"from": "10", "percent": "2"}, {"from": "100", "percent": "4.5"}]
    (rule,) = services.discount_rules(ON)
    assert rule.tiers[1].percent == D("4.5")


def test_policy_groups_cover_their_subgroups(db):
    parent = ProductGroupFactory(code="FIX")
    child = ProductGroupFactory(code="NAILS", parent=parent)
    assert services.product_group_lineage({child.pk}) == {child.pk: {child.pk, parent.pk}}
    assert services.product_group_lineage({None}) == {}


# --- limits ------------------------------------------------------------------------------------


def test_limits_caps_and_budgets_are_the_administrators_and_recorded(admin_user, manager):
    limits = services.pricing_limits_update(
        by=admin_user, max_order_discount_percent="12", min_margin_percent="10"
    )
    services.role_caps_set(by=admin_user, caps={"sales_manager": "7", "accountant": None})
    budget = services.discount_budget_create(
        by=admin_user, manager=manager.pk, period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30), amount="5000",
    )  # fmt: skip

    stream = [(e.action, e.changes) for e in events(stream_of(limits))]
    assert stream[0] == (
        "pricing.limits.changed",
        {
            "max_order_discount_percent": {"from": None, "to": "12"},
            "min_margin_percent": {"from": None, "to": "10"},
        },
    )
    assert stream[1] == (
        "pricing.limits.role_cap_changed",
        {"max_manual_discount.sales_manager": {"from": "5", "to": "7"}},
    )
    assert stream[2][0] == "pricing.limits.budget_added"
    assert stream[2][1]["amount"] == {"from": None, "to": "5000"}
    assert RoleDiscountCap.objects.get(role="sales_manager").max_manual_discount == D("7")
    assert budget.amount == D("5000")


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda a, m: services.pricing_limits_update(by=a, min_margin_percent="100"), "percent_out_of_range"),
        (lambda a, m: services.pricing_limits_update(by=a, max_order_discount_percent="101"), "discount_out_of_range"),
        (lambda a, m: services.pricing_limits_update(by=a, max_order_discount_amount="-5"), "amount_negative"),
        (lambda a, m: services.pricing_limits_update(by=a, colour="red"), "unknown_field"),
        (lambda a, m: services.role_caps_set(by=a, caps={"sales_manager": "120"}), "discount_out_of_range"),
        (lambda a, m: services.role_caps_set(by=a, caps={"pirate": "1"}), "role_unknown"),
        (lambda a, m: services.role_caps_set(by=m, caps={"sales_manager": "50"}), "master_data_forbidden"),
        (
            lambda a, m: services.discount_budget_create(
                by=a, manager=m.pk, period_start=dt.date(2026, 11, 15),
                period_end=dt.date(2026, 12, 15), amount="1",
            ),
            "budget_period_overlap",
        ),
        (
            lambda a, m: services.discount_budget_create(
                by=a, manager=m.pk, period_start=dt.date(2027, 2, 1),
                period_end=dt.date(2027, 1, 1), amount="1",
            ),
            "budget_period_invalid",
        ),
    ],
)  # fmt: skip
def test_bad_limits_are_refused(admin_user, manager, call, code):
    services.discount_budget_create(
        by=admin_user, manager=manager, period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30), amount="100",
    )  # fmt: skip
    with refused(code):
        call(admin_user, manager)


def test_the_managers_cap_and_budget_come_in_one_query(admin_user, manager):
    from orderdesk.pricing.selectors import limits_for

    UserFactory(username="both", roles=["sales_manager", "sales_head"])
    services.discount_budget_create(
        by=admin_user, manager=manager, period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30), amount="100",
    )  # fmt: skip
    with CaptureQueriesContext(connection) as ctx:
        mine = limits_for(manager=manager, on=ON)
    assert len(ctx.captured_queries) == 1
    assert (mine.cap, mine.budget.amount) == (D("5"), D("100"))
    both = limits_for(manager=UserFactory(username="both"), on=ON)
    assert (both.cap, both.budget) == (D("15"), None)


def test_prices_today_show_list_items_computed_lists_and_visible_contract_prices(
    manager, other_manager, customer, contract, price_list, product
):
    today = dt.date.today()
    PriceListItemFactory(price_list=price_list, product=product, price=D("95"), min_quantity=10)
    PriceListFactory(
        code="RETAIL", name="Retail", kind="derived", base_list=price_list, percent=D(10)
    )
    PriceListFactory(code="COSTPLUS", name="Cost+", kind="cost_plus", percent=D("25"))
    PriceListFactory(code="OLD", name="Old", kind="derived", base_list=price_list, active=False)
    ContractPrice.objects.create(
        contract=contract, product=product, price=D("88"), valid_from=today
    )
    theirs = ContractFactory(customer=CustomerFactory(manager=other_manager), price_list=price_list)
    ContractPrice.objects.create(contract=theirs, product=product, price=D("70"), valid_from=today)
    from orderdesk.pricing.selectors import contract_list_for
    from orderdesk.pricing.services.quotes import product_prices_today

    rows = product_prices_today(
        product=product, on=today, contracts=contract_list_for(user=manager)
    )

    assert [(r.where, r.kind, r.min_quantity, r.price) for r in rows] == [
        ("Wholesale", "list", D("0"), D("100")),
        ("Wholesale", "list", D("10"), D("95")),
        ("Cost+", "cost_plus", D("0"), D("75")),  # cost 60 + 25 %
        ("Retail", "derived", D("0"), D("110")),  # Wholesale 100 + 10 %
        (f"{customer.short_name}, {contract.number}", "contract", D("0"), D("88")),
    ]  # the other manager's contract price is not among them
