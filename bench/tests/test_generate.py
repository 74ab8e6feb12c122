"""The bench generator makes data the services accept: consistent totals, numbering and history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from bench.generate import check, generate, problems_of
from bench.scales import NAMED, Scale
from orderdesk.core.models import NumberSeries
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.pricing.models import Contract, PriceListItem

TINY = Scale.for_orders(150, name="test")


def test_scale_is_read_from_a_name_or_an_order_count():
    assert Scale.of("small").orders == NAMED["small"]
    assert Scale.of("1M").orders == 1_000_000
    assert Scale.of("250k").orders == 250_000
    assert Scale.of(5000).customers == 100
    with pytest.raises(ValueError):
        Scale.of("huge")


@pytest.mark.django_db
def test_generated_orders_are_consistent_at_a_tiny_scale():
    result = generate(TINY, seed=7)

    assert result["rows"]["orders"] == 150
    assert result["rows"]["order_lines"] == OrderLine.objects.count()
    assert 150 <= result["rows"]["order_lines"] <= 150 * 20
    report = check(first_order_id=result["first_order_id"])
    assert problems_of(report) == {}
    assert report["chain_events_checked"] >= result["rows"]["orders"]
    # every order line is priced as the line amounts say, and orders carry a mix of states
    line = OrderLine.objects.order_by("?").first()
    assert line.net_amount == (
        line.quantity * line.unit_price * (100 - line.discount_percent) / 100
    ).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert Order.objects.values("status").distinct().count() >= 3
    connection.check_constraints()  # deferred foreign keys and checks hold


@pytest.mark.django_db
def test_services_continue_the_generated_number_series():
    result = generate(TINY, seed=11)
    today = timezone.localdate()
    taken = NumberSeries.objects.get(key="orders.order", year=today.year).last_value
    assert taken == Order.objects.filter(order_date__year=today.year).count()
    contract = (
        Contract.objects.filter(is_default=True, customer__active=True)
        .select_related("customer__manager", "price_list")
        .first()
    )
    item = PriceListItem.objects.filter(
        price_list=contract.price_list, min_quantity=0, valid_to__isnull=True
    ).first()

    order = order_create(
        by=contract.customer.manager,
        customer=contract.customer,
        lines=[LineInput(product=item.product_id, quantity="3")],
    )
    order_confirm(by=contract.customer.manager, order=order)

    assert order.pk >= result["first_order_id"] + result["rows"]["orders"]
    assert order.number.endswith(f"-{today.year}-{taken + 1:06d}")
    assert problems_of(check(first_order_id=result["first_order_id"])) == {}
