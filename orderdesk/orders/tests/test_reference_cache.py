"""Orders read reference data from the process caches (core.cache), and a change saved
anywhere is seen by the next order: the rights matrix, the default warehouse, currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderdesk.catalog.models import Warehouse
from orderdesk.core.errors import DomainError
from orderdesk.orders.models import TermRight
from orderdesk.orders.services import LineInput, order_confirm, order_create, term_rights_set

pytestmark = pytest.mark.django_db


def fresh(user):
    for cached in ("_orderdesk_roles", "_orderdesk_terms", "_orderdesk_team"):
        user.__dict__.pop(cached, None)  # as a new request starts
    return user


def tables(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries]


def test_the_second_order_reads_no_reference_data(manager, customer, contract, product):
    order_create(by=fresh(manager), customer=customer.pk, lines=[LineInput(product.pk, "1")])
    with CaptureQueriesContext(connection) as ctx:
        order = order_create(
            by=fresh(manager), customer=customer.pk, lines=[LineInput(product.pk, "1")]
        )
    sql = " ".join(tables(ctx))
    for table in (
        "core_currency",
        "catalog_warehouse",
        "orders_termright",
        "pricing_discountpolicy",
    ):
        assert f'FROM "{table}"' not in sql
    assert order.warehouse.code == "MAIN"


def test_a_right_taken_away_is_refused_on_the_next_order(
    admin_user, manager, customer, contract, product
):
    order_create(by=fresh(manager), customer=customer.pk, lines=[LineInput(product.pk, "1")])
    TermRight.objects.filter(role="sales_manager", term="discount").delete()
    with pytest.raises(DomainError) as err:
        order_create(
            by=fresh(manager),
            customer=customer.pk,
            lines=[LineInput(product.pk, "1", discount_percent="3")],
        )
    assert err.value.code == "term_change_forbidden"
    term_rights_set(by=admin_user, rights={"sales_manager": ["price", "discount"]})
    order = order_create(
        by=fresh(manager),
        customer=customer.pk,
        lines=[LineInput(product.pk, "1", discount_percent="3")],
    )
    assert order.lines.get().manual_discount_percent == Decimal("3")


def test_a_new_first_warehouse_is_the_next_orders_default(manager, customer, contract, product):
    order = order_create(
        by=fresh(manager), customer=customer.pk, lines=[LineInput(product.pk, "1")]
    )
    assert order.warehouse.code == "MAIN"
    Warehouse.objects.create(code="A-FIRST", name="Перший")
    order = order_create(
        by=fresh(manager), customer=customer.pk, lines=[LineInput(product.pk, "1")]
    )
    assert order.warehouse.code == "A-FIRST"


def test_confirm_reads_the_lines_and_products_once(manager, customer, contract, product):
    order = order_create(
        by=fresh(manager),
        customer=customer.pk,
        lines=[LineInput(product.pk, "1"), LineInput(product.pk, "2")],
    )
    with CaptureQueriesContext(connection) as ctx:
        order_confirm(by=fresh(manager), order=order.pk)
    sql = tables(ctx)
    with_products = 'FROM "orders_orderline" INNER JOIN "catalog_product"'
    assert sum(with_products in q for q in sql) == 1
    assert not any(q.startswith('SELECT "catalog_product"') for q in sql)
