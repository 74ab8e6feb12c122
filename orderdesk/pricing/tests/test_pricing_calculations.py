"""Pricing arithmetic without the database: computed prices, tiers, discount stacking (with
property tests), the effective discount, and the deviation list with its numbers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderdesk.pricing import calculations as calc

D = Decimal


# --- computed prices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "rule", "expected"),
    [
        ("12.34567", "none", "12.3457"),
        ("12.345", "0.01", "12.35"),
        ("12.34", "0.10", "12.30"),
        ("12.35", "0.10", "12.40"),
        ("12.5", "1", "13"),
        ("12.49", "1", "12"),
        ("12.34", "end_90", "11.90"),
        ("12.41", "end_90", "12.90"),
        ("12.90", "end_90", "12.90"),
        ("0.10", "end_90", "0.90"),
    ],
)
def test_rounding_rules(price, rule, expected):
    assert calc.round_price(D(price), rule) == D(expected)


def test_a_derived_price_is_the_base_plus_the_percent_rounded():
    assert calc.derived_price(D("100"), percent=D("12.5"), rule="0.10") == D("112.50")
    assert calc.derived_price(D("100"), percent=D("-7"), rule="1") == D("93")
    assert calc.derived_price(D("99.99"), percent=D("10"), rule="end_90") == D("109.90")


def test_a_cost_plus_price_is_the_cost_with_the_markup():
    assert calc.cost_plus_price(D("60"), markup=D("25"), rule="none") == D("75.0000")
    assert calc.cost_plus_price(D("33.33"), markup=D("20"), rule="0.01") == D("40.00")


# --- tiers -----------------------------------------------------------------------------------


def tiers(*pairs):
    return [calc.Tier(D(a), D(b)) for a, b in pairs]


def test_the_highest_tier_reached_gives_its_percent():
    table = tiers(("10", "2"), ("50", "5"), ("100", "8"))
    assert calc.tier_percent(table, D("9.999")) is None
    assert calc.tier_percent(table, D("10")) == D("2")
    assert calc.tier_percent(table, D("99")) == D("5")
    assert calc.tier_percent(table, D("1000")) == D("8")


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ((("10", "2"), ("5", "3")), (1, "from", "tiers_out_of_order")),
        ((("10", "2"), ("10", "3")), (1, "from", "tiers_out_of_order")),
        ((("10", "5"), ("20", "3")), (1, "percent", "tiers_out_of_order")),
        ((("0", "2"),), (0, "from", "tier_threshold_not_positive")),
        ((("10", "101"),), (0, "percent", "discount_out_of_range")),
        ((("10", "-1"),), (0, "percent", "discount_out_of_range")),
        ((("10", "2"), ("20", "5")), None),
    ],
)
def test_a_tier_table_out_of_order_names_the_tier(table, problem):
    assert calc.tier_problem(tiers(*table)) == problem


# --- stacking ------------------------------------------------------------------------------------


def rule(code, percent, stacking="additive", priority=100, **kw):
    return calc.PolicyRule(
        code=code, name=code.title(), kind="customer_group", percent=D(percent),
        stacking=stacking, priority=priority, **kw,
    )  # fmt: skip


def stack(*rules):
    return calc.stack_discounts([(r, r.percent) for r in rules])


def test_additive_policies_add_their_points():
    assert stack(rule("a", "5"), rule("b", "3")).percent == D("8.00")


def test_compound_policies_take_their_percent_off_what_remains():
    # 100 - 95 x 0.90 = 14.5
    assert stack(rule("a", "5", "compound"), rule("b", "10", "compound")).percent == D("14.50")


def test_an_exclusive_policy_first_by_priority_applies_alone():
    result = stack(rule("promo", "7", "exclusive", priority=200), rule("group", "5"))
    assert result.percent == D("7.00")
    assert [(p.code, p.applied) for p in result.parts] == [("promo", True), ("group", False)]


def test_an_exclusive_policy_below_a_stacking_one_is_skipped():
    result = stack(rule("promo", "7", "exclusive", priority=50), rule("group", "5", priority=100))
    assert result.percent == D("5.00")
    assert [(p.code, p.applied) for p in result.parts] == [("group", True), ("promo", False)]


def test_between_exclusive_policies_of_one_priority_the_code_decides_not_the_order_given():
    a, b = rule("a", "3", "exclusive"), rule("b", "9", "exclusive")
    assert stack(a, b) == stack(b, a)
    assert stack(a, b).percent == D("3.00")


def test_the_stack_never_passes_100():
    assert stack(rule("a", "70"), rule("b", "60")).percent == D("100.00")


def test_a_policy_narrowed_to_a_group_applies_only_to_it():
    r = rule("wholesale", "5", customer_group_id=7, product_group_id=3)
    kwargs = {"quantity": D(1), "order_amount": D(0)}
    assert calc.policy_percent(r, customer_group_id=7, product_group_ids={3, 1}, **kwargs) == 5
    assert calc.policy_percent(r, customer_group_id=8, product_group_ids={3}, **kwargs) is None
    assert calc.policy_percent(r, customer_group_id=7, product_group_ids={4}, **kwargs) is None


def test_quantity_and_amount_tiers_read_the_line_quantity_and_the_order_amount():
    qty = calc.PolicyRule("q", "Qty", "quantity", tiers=tuple(tiers(("10", "2"), ("100", "4"))))
    amount = calc.PolicyRule("m", "Amount", "order_amount", tiers=tuple(tiers(("10000", "3"))))
    common = {"customer_group_id": None, "product_group_ids": set()}
    assert calc.policy_percent(qty, quantity=D("9"), order_amount=D(10**6), **common) is None
    assert calc.policy_percent(qty, quantity=D("10"), order_amount=D(0), **common) == D("2")
    assert calc.policy_percent(amount, quantity=D(1), order_amount=D("9999.99"), **common) is None
    assert calc.policy_percent(amount, quantity=D(1), order_amount=D("10000"), **common) == D("3")


percents = st.decimals(min_value=0, max_value=100, places=2)
modes = st.sampled_from(["exclusive", "additive", "compound"])
policies = st.lists(
    st.tuples(percents, modes, st.integers(min_value=0, max_value=5)), max_size=6
).map(
    lambda items: [
        rule(f"p{i}", str(p), mode, priority=prio) for i, (p, mode, prio) in enumerate(items)
    ]
)


@settings(max_examples=300, deadline=None)
@given(policies, st.randoms())
def test_stacking_is_within_0_and_100_and_ignores_the_order_given(rules, rnd):
    result = stack(*rules)
    assert D(0) <= result.percent <= D(100)
    shuffled = list(rules)
    rnd.shuffle(shuffled)
    assert stack(*shuffled) == result


@settings(max_examples=300, deadline=None)
@given(policies)
def test_without_exclusive_policies_one_more_never_lowers_the_discount(rules):
    rules = [r for r in rules if r.stacking != "exclusive"]
    extra = rule("extra", "4", "compound", priority=3)
    assert stack(*rules, extra).percent >= stack(*rules).percent


@settings(max_examples=300, deadline=None)
@given(policies)
def test_an_exclusive_winner_gives_exactly_its_percent_and_applies_alone(rules):
    result = stack(*rules)
    applied = [p for p in result.parts if p.applied]
    if applied and applied[0].stacking == "exclusive":
        assert len(applied) == 1
        assert result.percent == applied[0].percent.quantize(D("0.01"))


@settings(max_examples=300, deadline=None)
@given(st.lists(percents, max_size=5), st.lists(percents, max_size=5))
def test_additive_then_compound_matches_the_formula(adds, comps):
    rules = [rule(f"a{i}", str(p), "additive", priority=10) for i, p in enumerate(adds)]
    rules += [rule(f"c{i}", str(p), "compound", priority=5) for i, p in enumerate(comps)]
    expected = min(sum(adds, D(0)), D(100))
    for c in comps:
        expected = 100 - (100 - expected) * (100 - c) / 100
    assert stack(*rules).percent == min(expected, D(100)).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )


@settings(max_examples=300, deadline=None)
@given(percents, percents, percents)
def test_the_effective_discount_compounds_its_three_parts(auto, manual, order):
    total = calc.combine_discounts(auto, manual, order)
    assert max(auto, manual, order) - D("0.01") <= total <= D(100)
    assert calc.combine_discounts(D(0), manual, D(0)) == manual
    assert calc.combine_discounts(auto, manual, order) == calc.combine_discounts(
        order, auto, manual
    )


def test_the_effective_discount_is_rounded_to_a_hundredth():
    # 100 - 95 x 0.97 x 0.98 = 9.693 -> 9.69
    assert calc.combine_discounts(D("5"), D("3"), D("2")) == D("9.69")


def test_the_floor_is_the_cost_or_the_price_of_the_minimum_margin():
    assert calc.floor_price(D("60"), None) == D("60")
    assert calc.floor_price(D("60"), D("20")) == D("75.0000")  # (75 - 60) / 75 = 20 %


# --- deviations ---------------------------------------------------------------------------------

NET14 = calc.PaymentTermsData(1, "Net 14", 14, D(0))
NET30 = calc.PaymentTermsData(2, "Net 30", 30, D(0))
PREPAY = calc.PaymentTermsData(3, "Prepayment", 0, D(100))


def line(position=1, qty="10", price="100", list_price="100", auto="0", manual="0",
         cost="60", **kw):  # fmt: skip
    auto, manual = D(auto), D(manual)
    discount = calc.combine_discounts(auto, manual, D(kw.pop("order", "0")))
    net = (D(qty) * D(price) * (100 - discount) / 100).quantize(D("0.01"))
    return calc.LineData(
        position=position, product="NAIL", quantity=D(qty), unit_price=D(price),
        list_price=None if list_price is None else D(list_price), auto_discount=auto,
        manual_discount=manual, discount=discount, net_amount=net, cost_base=D(cost),
    )  # fmt: skip


def order(*lines, terms=NET14, currency="UAH", method=(1, "Bank"), delivery=(None, ""),
          gross=None, rate="1"):  # fmt: skip
    lines = lines or (line(),)
    return calc.OrderData(
        currency=currency, base_currency="UAH", exchange_rate=D(rate), lines=tuple(lines),
        base_gross_amount=D(gross) if gross else sum((li.net_amount for li in lines), D(0)) * 12 / 10,
        payment_terms=terms, payment_method=method, delivery=delivery,
    )  # fmt: skip


CONTRACT = calc.ContractData(
    number="15/2026", currency="UAH", payment_terms=NET14, payment_method=(1, "Bank"),
    delivery=(None, ""), max_manual_discount=D("10"),
)  # fmt: skip


def kinds(found):
    return [d.kind for d in found]


def test_an_order_that_keeps_to_its_standard_has_no_deviation():
    standard = calc.Standard(contract=CONTRACT, role_cap=D("5"))
    assert calc.deviations(order(line(manual="5")), standard) == []


def test_a_manual_discount_above_the_managers_cap_is_a_deviation_with_its_numbers():
    standard = calc.Standard(
        contract=CONTRACT, role_cap=D("5"), approvers={"discount_over_cap": ("sales_head",)}
    )
    found = calc.deviations(order(line(manual="7")), standard)
    assert [d.as_dict() for d in found] == [
        {
            "kind": "discount_over_cap",
            "line": 1,
            "line_id": None,
            "standard": "0",
            "value": "7",
            "limit": "5",
            "unit": "%",
            "approvers": ["sales_head"],
            "detail": {"role_cap": "5", "contract_cap": "10"},
        }
    ]


def test_the_contracts_cap_lowers_the_roles_cap():
    contract = calc.ContractData(**{**CONTRACT.__dict__, "max_manual_discount": D("2")})
    found = calc.deviations(order(line(manual="3")), calc.Standard(contract, role_cap=D("15")))
    assert [(d.kind, d.limit) for d in found] == [("discount_over_cap", D("2"))]


def test_total_discount_over_the_order_limit_in_percent_and_amount():
    standard = calc.Standard(
        role_cap=D(100), max_order_discount_percent=D("10"), max_order_discount_amount=D("100")
    )
    found = calc.deviations(order(line(auto="5", manual="8")), standard)
    # 1000 before discounts, net 874 -> 126 off (12.6 %), of which 50 automatic (5 %)
    assert [(d.kind, d.standard, d.value, d.limit, d.unit) for d in found] == [
        ("total_discount_over_limit", D("5.00"), D("12.60"), D("10"), "%"),
        ("total_discount_over_limit", D("50.00"), D("126.00"), D("100"), "UAH"),
    ]


def test_a_budget_passed_by_this_order_is_a_deviation():
    budget = calc.BudgetData(D("500"), used=D("450"), period_start="2026-11-01",
                             period_end="2026-11-30")  # fmt: skip
    found = calc.deviations(order(line(manual="6")), calc.Standard(role_cap=D(10), budget=budget))
    assert [(d.kind, d.standard, d.value, d.limit) for d in found] == [
        ("discount_budget_exceeded", D("450"), D("510.00"), D("500"))
    ]
    assert found[0].detail["granted"] == D("60.00")


def test_automatic_discounts_do_not_spend_the_budget():
    budget = calc.BudgetData(D("10"), used=D("10"), period_start=None, period_end=None)
    assert calc.deviations(order(line(auto="20")), calc.Standard(budget=budget)) == []


def test_a_price_below_cost_or_the_minimum_margin_is_a_deviation():
    below_cost = calc.deviations(order(line(price="55", list_price=None)), calc.Standard())
    assert [(d.kind, d.standard, d.value, d.limit) for d in below_cost] == [
        ("price_below_floor", D("60"), D("55.0000"), D("60"))
    ]
    margin = calc.deviations(
        order(line(price="70", list_price="70")), calc.Standard(min_margin_percent=D("20"))
    )
    assert [(d.kind, d.value, d.limit) for d in margin] == [
        ("price_below_floor", D("70.0000"), D("75.0000"))
    ]


def test_a_price_below_the_standard_price_is_a_deviation():
    found = calc.deviations(order(line(price="95", list_price="100")), calc.Standard())
    assert [(d.kind, d.standard, d.value) for d in found] == [
        ("price_below_list", D("100"), D("95"))
    ]


def test_header_terms_against_the_contract():
    found = calc.deviations(
        order(terms=NET30, currency="USD", method=(2, "Cash"), delivery=(5, "Carrier"), rate="40"),
        calc.Standard(contract=CONTRACT),
    )
    assert [(d.kind, d.standard, d.value) for d in found] == [
        ("payment_terms_longer", 14, 30),
        ("currency_differs", "UAH", "USD"),
        ("payment_method_differs", "Bank", "Cash"),
        ("delivery_terms_differ", "", "Carrier"),
    ]
    contract = calc.ContractData(**{**CONTRACT.__dict__, "payment_terms": PREPAY})
    lower = calc.deviations(order(), calc.Standard(contract=contract))
    assert [(d.kind, d.standard, d.value) for d in lower] == [
        ("payment_terms_longer", 0, 14),
        ("prepayment_lower", D(100), D(0)),
    ]


def test_an_order_above_the_approval_threshold():
    found = calc.deviations(order(gross="120000"), calc.Standard(order_amount_threshold=D("1e5")))
    assert [(d.kind, d.value, d.limit) for d in found] == [
        ("order_amount_over_threshold", D("120000"), D("1e5"))
    ]
