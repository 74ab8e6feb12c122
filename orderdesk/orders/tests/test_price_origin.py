"""Where a line's price came from is stored as data (`price_origin`) and shown in the
language of whoever reads it, not of whoever entered the line; a line entered before keeps
its text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from orderdesk.audit.models import Event
from orderdesk.orders.models import OrderLine
from orderdesk.orders.services import LineInput, order_create, order_line_update
from orderdesk.pricing import sources

pytestmark = pytest.mark.django_db

LIST_ORIGIN = {"kind": "list", "list": "Wholesale", "from": "2020-01-01"}


def entered_in_ukrainian(manager, customer, product, **line):
    with translation.override("uk"):
        return order_create(
            by=manager,
            customer=customer.pk,
            lines=[LineInput(product=product.pk, quantity="12", **line)],
        )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_line_entered_in_one_language_reads_in_another(manager, customer, contract, product):
    order = entered_in_ukrainian(manager, customer, product)
    line = OrderLine.objects.get(order=order)

    assert line.price_origin == LIST_ORIGIN
    assert line.price_source_text == ""  # no text in the entry language is stored
    with translation.override("en"):
        assert line.price_source == "list Wholesale from 2020-01-01"
    with translation.override("uk"):
        assert line.price_source == "прайс-лист Wholesale від 2020-01-01"

    client = signed_in(manager)
    for language, text in (("en", "list Wholesale from 2020-01-01"),
                           ("uk", "прайс-лист Wholesale від 2020-01-01")):  # fmt: skip
        body = client.get(f"/api/v1/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE=language).json()
        assert body["lines"][0]["price_source"] == text
        assert body["lines"][0]["price_origin"]["kind"] == "list"
        card = client.get(f"/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert text in card


def test_a_price_entered_by_hand_and_its_history(manager, customer, contract, product):
    order = entered_in_ukrainian(manager, customer, product)
    line = OrderLine.objects.get(order=order)
    with translation.override("uk"):
        order_line_update(by=manager, order=order.pk, line_id=line.pk, unit_price="95")
    line.refresh_from_db()

    assert line.price_origin == sources.MANUAL
    with translation.override("en"):
        assert line.price_source == "entered by hand"
    changed = Event.objects.get(action="orders.line.changed", object_id=str(line.pk))
    assert changed.changes["price_origin"] == {"from": LIST_ORIGIN, "to": sources.MANUAL}
    card = (
        signed_in(manager).get(f"/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "list Wholesale from 2020-01-01" in card and "entered by hand" in card


def test_every_kind_reads_as_before_and_old_lines_keep_their_text(customer, product):
    with translation.override("en"):
        assert sources.text(sources.contract("15/2026")) == "contract 15/2026, individual price"
        item = sources.item("Retail", dt.date(2026, 1, 2), Decimal("10"))
        assert sources.text(item) == "list Retail from 2026-01-02 (from 10)"
        derived = sources.derived(item, "Wholesale", "+10")
        assert sources.text(derived) == "list Retail from 2026-01-02 (from 10) (Wholesale +10 %)"
        costed = sources.cost_plus("Cost+", Decimal("60.00"), "+50")
        assert sources.text(costed) == "list Cost+ (cost 60 +50 %)"
        assert sources.text(None) == ""
        old = OrderLine(price_source_text="прайс Гурт з 2025-01-01", price_origin=None)
        assert old.price_source == "прайс Гурт з 2025-01-01"


def test_the_discount_is_explained_in_the_readers_language(manager, customer, contract, product):
    """The discount's explanation is read from the line's breakdown, not stored as text."""
    order = entered_in_ukrainian(manager, customer, product, discount_percent=Decimal("5"))
    line = OrderLine.objects.get(order=order)

    assert line.discount_source_text == ""
    assert line.discount_breakdown["manual_percent"] == "5"
    with translation.override("en"):
        assert line.discount_source == "manual 5 %"
    with translation.override("uk"):
        assert line.discount_source == "ручна 5 %"
    body = signed_in(manager).get(f"/api/v1/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["lines"][0]["discount_source"] == "manual 5 %"
    old = OrderLine(discount_source_text="ручна 3 %", discount_breakdown={})
    assert old.discount_source == "ручна 3 %"  # entered before: its text
