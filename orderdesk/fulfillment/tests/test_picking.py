"""The pick list: released less shipped per line, a printable page, an API, a "picked" mark."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.fulfillment.selectors import pick_list
from orderdesk.fulfillment.services import order_mark_picked, shipment_create

from .conftest import lines_of, make_order, receive, refused, today


def test_the_pick_list_is_what_is_released_and_not_yet_shipped(
    manager, customer, product, second_product, warehouse, storekeeper, company
):
    receive(storekeeper, product, warehouse, 20)
    receive(storekeeper, second_product, warehouse, 5)
    later = today() + dt.timedelta(days=7)
    order = make_order(
        manager,
        customer,
        [(product, 10, [(today(), 6), (later, 4)]), (second_product, 3, None)],
    )
    a, b = lines_of(order)
    shipment_create(by=storekeeper, order=order, lines=[(a, 2)])
    rows = pick_list(order)
    assert [(r.line.pk, r.to_ship) for r in rows] == [(a.pk, Decimal(4)), (b.pk, Decimal(3))]

    picked = order_mark_picked(by=storekeeper, order=order)
    assert [r.to_ship for r in picked] == [4, 3]
    event = Event.objects.get(stream=stream_of(order), action="fulfillment.order.picked")
    assert event.actor == storekeeper and event.data["warehouse"] == warehouse.code
    assert [(li["position"], Decimal(li["quantity"])) for li in event.data["lines"]] == [
        (1, 4),
        (2, 3),
    ]

    shipment_create(by=storekeeper, order=order, lines=[(a, 4), (b, 3)])
    with refused("nothing_to_pick"):
        order_mark_picked(by=storekeeper, order=order)


def test_picking_is_the_warehouses_and_only_for_released_orders(
    manager, customer, product, warehouse, storekeeper
):
    receive(storekeeper, product, warehouse, 5)
    order = make_order(manager, customer, [(product, 2, None)])
    with refused("shipment_not_permitted"):
        order_mark_picked(by=manager, order=order)
    waiting = make_order(
        manager, customer, [(product, 1, None)], requested=today() + dt.timedelta(days=9)
    )
    with refused("order_not_found"):  # the warehouse does not see an unreleased order
        order_mark_picked(by=storekeeper, order=waiting)


def test_pick_page_prints_and_marks_picked_and_the_api_answers(
    client, manager, customer, product, warehouse, storekeeper
):
    receive(storekeeper, product, warehouse, 5)
    order = make_order(manager, customer, [(product, 2, None)])
    client.force_login(storekeeper)
    page = client.get(f"/warehouse/orders/{order.pk}/pick/")
    assert page.status_code == 200
    assert product.sku in page.content.decode() and "window.print()" in page.content.decode()
    response = client.post(f"/warehouse/orders/{order.pk}/pick/")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/warehouse/orders/{order.pk}/ship/"
    )
    assert Event.objects.filter(stream=stream_of(order), action="fulfillment.order.picked").exists()

    data = client.get(f"/api/v1/pick-lists/{order.pk}/").json()
    assert data["number"] == order.number and data["warehouse"] == warehouse.code
    assert [(li["sku"], li["quantity"]) for li in data["lines"]] == [(product.sku, "2.000")]
    assert client.post(f"/api/v1/pick-lists/{order.pk}/").status_code == 201

    client.force_login(manager)
    response = client.get(f"/api/v1/pick-lists/{order.pk}/")
    assert (response.status_code, response.json()["code"]) == (403, "shipment_not_permitted")
    assert client.get(f"/warehouse/orders/{order.pk}/pick/").status_code == 403
