"""The warehouse API and pages call the services and answer refusals with stable codes."""

from __future__ import annotations

from orderdesk.fulfillment.models import Shipment

from .conftest import balance, lines_of, make_order, receive


def test_api_ships_and_refuses_with_codes(
    client, storekeeper, accountant, manager, customer, product, warehouse, company
):
    receive(storekeeper, product, warehouse, 10)
    order = make_order(manager, customer, [(product, 10, None)])
    line = lines_of(order)[0]
    client.force_login(storekeeper)
    body = {"order": order.pk, "lines": [{"line": line.pk, "quantity": "6"}]}
    response = client.post("/api/v1/shipments/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == f"{order.number}/1" and data["delivery_note_number"]
    # the shipment was invoiced, but the warehouse sees the delivery note, not the invoice
    assert data["invoice"] is None and data["invoice_number"] is None
    assert data["lines"][0]["quantity"] == "6.000"
    assert data["lines"][0]["unit_cost"] == "60.0000"  # the product's cost on the day
    response = client.post("/api/v1/shipments/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "shipment_exceeds_ordered"
    assert Shipment.objects.filter(order=order).count() == 1
    response = client.get(f"/api/v1/shipments/{data['id']}/")
    assert response.status_code == 200 and response.json()["order"] == order.pk
    assert response.json()["invoice_number"] is None
    client.force_login(accountant)
    seen = client.get(f"/api/v1/shipments/{data['id']}/").json()
    invoice = Shipment.objects.get(pk=data["id"]).invoice
    assert (seen["invoice"], seen["invoice_number"]) == (invoice.pk, invoice.number)
    listed = client.get(f"/api/v1/shipments/?order={order.pk}").json()["results"]
    assert [r["invoice_number"] for r in listed] == [invoice.number]


def test_api_stock_moves_and_stock(client, storekeeper, manager, customer, product, warehouse):
    client.force_login(storekeeper)
    move = {"product": product.pk, "warehouse": warehouse.pk, "kind": "receipt", "quantity": "5"}
    assert (
        client.post("/api/v1/stock-moves/", move, content_type="application/json").status_code
        == 201
    )
    make_order(manager, customer, [(product, 4, None)])
    adjust = {**move, "kind": "adjustment", "quantity": "-2", "comment": "broken"}
    response = client.post("/api/v1/stock-moves/", adjust, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "stock_below_reserved"
    rows = client.get(f"/api/v1/stock/?warehouse={warehouse.pk}").json()["results"]
    row = next(r for r in rows if r["product"] == product.pk)
    assert (row["on_hand"], row["reserved"], row["available"]) == ("5.000", "4.000", "1.000")


def test_api_cancellation_and_release(client, head, manager, customer, product, warehouse):
    order = make_order(manager, customer, [(product, 3, None)])  # no stock: all backordered
    line = lines_of(order)[0]
    client.force_login(manager)
    body = {"order": order.pk, "line": line.pk, "quantity": "1", "reason": "customer_refused"}
    response = client.post("/api/v1/line-cancellations/", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["reason_code"] == "customer_refused"
    response = client.post(
        "/api/v1/releases/", {"order": order.pk}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "release_not_permitted"
    listed = client.get(f"/api/v1/line-cancellations/?order={order.pk}").json()
    assert listed["count"] == 1


def test_order_card_shows_availability_and_the_queue_and_tablet_entry_ship(
    client, storekeeper, manager, customer, product, warehouse, company
):
    receive(storekeeper, product, warehouse, 3)
    order = make_order(manager, customer, [(product, 5, None)])
    line = lines_of(order)[0]
    client.force_login(manager)
    card = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Availability and shipping" in card and "Backordered" in card
    client.force_login(storekeeper)
    card = client.get(f"/orders/{order.pk}/")
    assert card.status_code == 200 and "Released to the warehouse" in card.content.decode()
    queue = client.get("/warehouse/").content.decode()
    assert order.number in queue
    page = client.get(f"/warehouse/orders/{order.pk}/ship/")
    assert page.status_code == 200 and f'name="qty_{line.pk}"' in page.content.decode()
    refused = client.post(f"/warehouse/orders/{order.pk}/ship/", {f"qty_{line.pk}": "9"})
    assert refused.status_code == 400 and "shipment_exceeds_ordered" in refused.content.decode()
    done = client.post(f"/warehouse/orders/{order.pk}/ship/", {f"qty_{line.pk}": "3"})
    assert done.status_code == 302
    assert balance(product, warehouse).on_hand == 0

    # the shipment's own page, reached from the order card and the list
    shipment = Shipment.objects.get(order=order)
    card = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/warehouse/shipments/?order={order.pk}"' in card
    listed = client.get(f"/warehouse/shipments/?order={order.pk}").content.decode()
    assert f'href="/warehouse/shipments/{shipment.pk}/"' in listed
    page = client.get(f"/warehouse/shipments/{shipment.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200 and shipment.number in text and order.number in text
    row = f"<td>1</td><td>{product.sku}</td><td>{line.description}</td><td>{line.unit}</td>"
    assert row + '<td class="num">3</td><td class="num">3</td>' in text  # all of it reserved
    assert shipment.invoice.number not in text  # invoiced, but not the warehouse's to see
    uk = client.get(f"/warehouse/shipments/{shipment.pk}/", HTTP_ACCEPT_LANGUAGE="uk")
    assert f"Відвантаження {shipment.number}" in uk.content.decode()
    # a sales manager has no warehouse pages; an unknown shipment is not found
    assert client.get("/warehouse/shipments/999999/").status_code == 404
    client.force_login(manager)
    assert client.get(f"/warehouse/shipments/{shipment.pk}/").status_code == 403


def test_stock_page_receives_and_refuses(client, storekeeper, product, warehouse):
    client.force_login(storekeeper)
    response = client.post(
        "/warehouse/stock/",
        {"kind": "adjustment", "product": product.pk, "warehouse": warehouse.pk, "quantity": "-1"},
    )
    assert (
        response.status_code == 400 and "adjustment_comment_required" in response.content.decode()
    )
    response = client.post(
        "/warehouse/stock/",
        {"kind": "receipt", "product": product.pk, "warehouse": warehouse.pk, "quantity": "7,5"},
    )
    assert response.status_code == 302
    assert balance(product, warehouse).on_hand == 7.5
