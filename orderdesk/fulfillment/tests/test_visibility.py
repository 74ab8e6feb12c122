"""A warehouse user reaches nothing unreleased: lists, search, API, direct URLs, export."""

from __future__ import annotations

import datetime as dt

import pytest

from orderdesk.billing.models import DeliveryNote
from orderdesk.fulfillment.services import line_cancel, shipment_create

from .conftest import lines_of, make_order, receive, today


@pytest.fixture
def orders(manager, customer, product, warehouse, storekeeper, company):
    receive(storekeeper, product, warehouse, 50)
    released = make_order(manager, customer, [(product, 4, None)])
    shipment_create(by=storekeeper, order=released, lines=[(lines_of(released)[0], 1)])
    later = make_order(
        manager, customer, [(product, 5, None)], requested=today() + dt.timedelta(days=30)
    )
    line_cancel(by=manager, order=later, line=lines_of(later)[0], quantity=1, reason="duplicate")
    draft = make_order(manager, customer, [(product, 3, None)], confirm=False)
    released.refresh_from_db()
    later.refresh_from_db()
    assert released.fulfillment_status == "partially_shipped"
    assert later.fulfillment_status == "not_released"
    return released, later, draft


def _json_text(response) -> str:
    return response.content.decode()


def test_warehouse_sees_nothing_unreleased_anywhere(client, storekeeper, orders):
    released, later, draft = orders
    hidden = [later, draft]
    client.force_login(storekeeper)

    # lists and search, pages and API
    pages = [
        "/orders/",
        f"/orders/?q={later.number}",
        f"/orders/?q={draft.number}",
        "/warehouse/",
        "/warehouse/shipments/",
        "/warehouse/cancellations/",
        "/warehouse/stock/",
        "/billing/?type=delivery-notes",
        "/api/v1/orders/",
        f"/api/v1/orders/?q={later.number}",
        "/api/v1/reservations/",
        "/api/v1/releases/",
        "/api/v1/shipments/",
        "/api/v1/line-cancellations/",
        "/api/v1/stock/",
        "/api/v1/stock-moves/",
        "/api/v1/delivery-notes/",
        "/api/v1/invoices/",
    ]
    seen_released = False
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        text = _json_text(response)
        for order in hidden:  # the search box echoes what was searched for
            text = text.replace(f'value="{order.number}"', "").replace(f"q={order.number}", "")
            text = text.replace(f"search={order.number}", "")
            assert order.number not in text, (url, order.number)
            assert f'"order":{order.pk},' not in text.replace(" ", ""), (url, order.pk)
        seen_released |= released.number in text
    assert seen_released

    # direct URLs of the unreleased orders: 404, never a hint
    for order in hidden:
        line = lines_of(order)[0]
        for url in [
            f"/orders/{order.pk}/",
            f"/api/v1/orders/{order.pk}/",
            f"/api/v1/orders/{order.pk}/timeline/",
            f"/warehouse/orders/{order.pk}/ship/",
            f"/api/v1/reservations/?order={order.pk}",
            f"/api/v1/releases/?order={order.pk}",
            f"/api/v1/line-cancellations/?order={order.pk}",
            f"/api/v1/shipments/?order={order.pk}",
        ]:
            response = client.get(url)
            assert response.status_code in (404, 200), (url, response.status_code)
            if response.status_code == 200:
                assert '"count":0' in _json_text(response).replace(" ", ""), url
        for url, body in [
            (
                "/api/v1/shipments/",
                {"order": order.pk, "lines": [{"line": line.pk, "quantity": "1"}]},
            ),
            ("/api/v1/reservations/", {"order": order.pk}),
            ("/api/v1/releases/", {"order": order.pk}),
        ]:
            response = client.post(url, body, content_type="application/json")
            assert response.status_code == 404, (url, response.content)
            assert response.json()["code"] == "order_not_found"
        response = client.post(f"/warehouse/orders/{order.pk}/ship/", {f"qty_{line.pk}": "1"})
        assert response.status_code == 404

    # exports: the reports (and their exports) are not the warehouse's
    for url in ["/reports/order-states/export/csv/", "/api/v1/reports/order-states/export/csv/"]:
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert later.number not in _json_text(response)

    # the released order's delivery note is readable, the hidden ones have none shown
    note = DeliveryNote.objects.get(order=released)
    assert client.get(f"/api/v1/delivery-notes/{note.pk}/").status_code == 200
