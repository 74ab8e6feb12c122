"""The demo dataset: loads into an empty database through the services, covers every order
state and role and the whole quote-to-cash flow (approvals, credit holds, shipments,
documents, payments, aging), keeps the history chain and the invariants intact, and refuses
to load twice."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings
from django.utils import timezone

from orderdesk.approvals.models import ApprovalDecision, ApprovalRule, ApprovalTask
from orderdesk.audit.models import Event
from orderdesk.billing.models import BillingPolicy, Invoice, Payment
from orderdesk.catalog.models import Product, StockBalance, Warehouse
from orderdesk.core.models import ExchangeRate
from orderdesk.credit.models import CreditAccount, CreditHold, CreditLimit
from orderdesk.customers.models import Customer, SalesTeam
from orderdesk.demo import data
from orderdesk.demo import identifiers as ids
from orderdesk.fulfillment.models import LineCancellation, Shipment, StockMove
from orderdesk.orders.models import Amendment, DeliveryScheduleEntry, Order, OrderTemplate
from orderdesk.pricing.models import Contract, PriceList, PriceListItem
from orderdesk.reports.models import DailySalesSummary
from orderdesk.reports.selectors import report_for

ROLES = {username: role for username, _f, _l, role, _h in data.USERS}


@pytest.fixture
def small_demo(db, settings):
    # the command hashes passwords with the real hasher; tests need not spend a second on it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("load_demo", "--small", stdout=out)
    return out.getvalue()


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class SmallDemo(TestCase):
    """One small load for every test of the class (each test runs in a savepoint of it)."""

    @classmethod
    def setUpTestData(cls):
        out = StringIO()
        call_command("load_demo", "--small", stdout=out)
        cls.output = out.getvalue()

    def test_covers_every_order_state_and_shape(self):
        assert Order.objects.count() == 40
        statuses = set(Order.objects.values_list("status", flat=True))
        assert statuses == {
            "draft",
            "pending_approval",
            "credit_hold",
            "confirmed",
            "cancelled",
            "closed",
        }
        assert Amendment.objects.exists()
        assert Order.objects.filter(revision__gt=0, status="closed").exists()
        assert DeliveryScheduleEntry.objects.exists()
        assert Event.objects.filter(
            action="orders.order.created", data__has_key="template"
        ).exists()
        cancelled = Order.objects.filter(status="cancelled")
        assert all(o.cancel_reason_id for o in cancelled)
        other = cancelled.filter(cancel_reason__code="other")
        assert other.exists() and all(o.cancel_comment for o in other)
        assert Order.objects.filter(status="cancelled", confirmed_at__isnull=False).exists()
        # every order was written by a service: it has a history, started by its creation
        for order in Order.objects.all():
            first = Event.objects.get(stream=f"orders.order:{order.pk}", seq=1)
            assert first.action == "orders.order.created"
            assert first.actor_id == order.customer.manager_id

    def test_master_data(self):
        assert Customer.objects.count() == len(data.SMALL_CUSTOMERS)
        assert Product.objects.count() >= 200
        assert (
            Product.objects.filter(vat_rate=7).exists()
            and Product.objects.filter(vat_rate=0).exists()
        )
        assert set(Product.objects.values_list("unit", flat=True)) == {"шт", "кг", "м", "уп"}
        assert (
            StockBalance.objects.count()
            == Product.objects.count() * Warehouse.objects.count()
            == (Product.objects.count() * 2)
        )
        assert StockBalance.objects.filter(on_hand__gt=0).count() > Product.objects.count()
        assert set(PriceList.objects.values_list("name", flat=True)) == {
            "Оптовий",
            "Роздрібний",
            "Export EUR",
        }
        for price_list in PriceList.objects.all():
            priced = (
                PriceListItem.objects.filter(price_list=price_list).values("product").distinct()
            )
            assert priced.count() == Product.objects.count()
        assert PriceListItem.objects.filter(min_quantity__gt=0).exists()
        for currency in ("USD", "EUR", "PLN"):
            assert ExchangeRate.objects.filter(currency_id=currency).count() == 400
        for customer in Customer.objects.all():
            assert ids.edrpou_valid(customer.tax_id) or ids.rnokpp_valid(customer.tax_id)
            assert ids.iban_valid(customer.iban) and customer.iban.startswith("UA")
            assert Contract.objects.filter(customer=customer, is_default=True).count() == 1
            assert customer.contacts.filter(is_primary=True).count() == 1
        assert Contract.objects.filter(currency_id="EUR").exists()
        assert Contract.objects.filter(is_default=False).exists()
        assert OrderTemplate.objects.filter(shared=True, owner__username="manager1").exists()

    def test_users_hold_their_roles_and_log_in(self):
        User = get_user_model()
        for username, role in ROLES.items():
            user = User.objects.get(username=username)
            assert set(user.groups.values_list("name", flat=True)) == {role}
            assert self.client.login(username=username, password=data.PASSWORD), username
            self.client.logout()
        admin = User.objects.get(username="admin")
        assert admin.is_staff and admin.is_superuser
        team = SalesTeam.objects.get()
        assert team.head.username == "head"
        assert {u.username for u in team.members.all()} == {"manager1", "manager2"}
        managers = set(Customer.objects.values_list("manager__username", flat=True))
        assert {"manager1", "manager2"} <= managers
        assert "manager1" in self.output and data.PASSWORD in self.output

    def test_approvals_wait_in_the_heads_inbox_and_were_decided(self):
        assert ApprovalRule.objects.filter(active=True).count() >= 6
        assert ApprovalRule.objects.filter(kind="discount_over_cap").exists()
        floor = ApprovalRule.objects.get(kind="price_below_floor")
        assert [s.role for s in floor.stages.order_by("position")] == [
            "sales_head",
            "administrator",
        ]
        head = get_user_model().objects.get(username="head")
        waiting = ApprovalTask.objects.filter(assignee=head, status="open")
        assert waiting.exists()
        assert Order.objects.filter(
            pk__in=waiting.values("approval__subject_id"), status="pending_approval"
        ).exists()
        assert ApprovalDecision.objects.filter(decision="approve").exists()
        assert Event.objects.filter(action="orders.order.approval_rejected").exists()
        # rejected and returned orders are back in draft with the head's reason
        back = Event.objects.filter(
            action__in=["orders.order.approval_rejected", "orders.order.returned_to_draft"]
        )
        assert all(e.data.get("reason") for e in back)

    def test_credit_limits_holds_release_and_overdue_block(self):
        assert CreditLimit.objects.filter(customer__isnull=False).count() >= 8
        assert CreditLimit.objects.filter(group__isnull=False).exists()
        assert CreditLimit.objects.filter(entered_currency="EUR").exists()
        held = CreditHold.objects.filter(status="held")
        assert held.exists()
        assert set(Order.objects.filter(status="credit_hold").values_list("pk", flat=True)) == set(
            held.values_list("order_id", flat=True)
        )
        released = CreditHold.objects.get(status="released")
        assert released.comment == data.HOLD_RELEASE_COMMENT
        assert Order.objects.get(pk=released.order_id).status in ("confirmed", "closed")
        # check_overdue ran: the customer who stopped paying is blocked (the late payer,
        # on a warn-only limit, may be too)
        blocked = CreditAccount.objects.filter(blocked=True, block_kind="overdue")
        assert f"zakaz@{data.OVERDUE_BLOCKED}.example" in {a.customer.email for a in blocked}

    def test_warehouse_documents_and_payments(self):
        today = timezone.localdate()
        assert StockMove.objects.filter(kind="receipt").exists()
        assert Shipment.objects.exists()
        assert Shipment.objects.filter(shipped_on__lt=today - dt.timedelta(days=60)).exists()
        assert Order.objects.filter(fulfillment_status="partially_shipped").exists()
        assert Order.objects.filter(status="confirmed", fulfillment_status="released").exists()
        assert (
            LineCancellation.objects.exists()
            or Order.objects.filter(lines__cancelled_quantity__gt=0).exists()
        )
        invoices = Invoice.objects.filter(status="posted")
        assert invoices.filter(kind="shipment").exists()
        assert invoices.filter(kind="prepayment").exists()
        assert not Invoice.objects.filter(status="draft").exists()
        # each shipment's documents are dated on the day the goods left
        for shipment in Shipment.objects.select_related("invoice", "delivery_note"):
            assert shipment.delivery_note.status == "posted"
            assert shipment.delivery_note.document_date == shipment.shipped_on
            if shipment.invoice is not None:
                assert shipment.invoice.document_date == shipment.shipped_on
        assert Payment.objects.filter(method="bank").exists()
        assert Payment.objects.filter(payment_date__lt=today - dt.timedelta(days=60)).exists()
        assert Order.objects.filter(status="closed", payment_status="paid").exists()
        assert Event.objects.filter(action="orders.order.closed", data__automatic=True).exists()
        assert Order.objects.filter(payment_status="overdue").exists()
        # the policy of the load is gone: documents post at once again
        assert not BillingPolicy.objects.exists()
        assert DailySalesSummary.objects.exists()

    def test_aging_has_several_buckets(self):
        admin = get_user_model().objects.get(username="admin")
        report = report_for("aging")
        rows = report.rows(admin, report.parse({"group_by": "currency"}))
        filled = {
            key
            for row in rows
            for key in ("current", "d1_30", "d31_60", "d61_90", "over_90")
            if row[key] > 0
        }
        assert len(filled) >= 4, filled

    def test_history_and_invariants_hold(self):
        out = StringIO()
        call_command("verify_audit", stdout=out)
        assert out.getvalue().startswith("ok:")
        out = StringIO()
        call_command("reconcile", stdout=out)  # raises CommandError on a violation
        assert out.getvalue().startswith("ok:")


def test_load_demo_if_empty_skips_and_plain_refuses_a_loaded_database(small_demo):
    before = (Order.objects.count(), Customer.objects.count(), Event.objects.count())
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("load_demo", "--small", stdout=StringIO())
    assert (Order.objects.count(), Customer.objects.count(), Event.objects.count()) == before


def test_identifiers_pass_their_check_digits():
    rng = random.Random(1)
    assert ids.edrpou_valid("14360570")  # a real ЄДРПОУ (ПриватБанк)
    assert not ids.edrpou_valid("14360571")
    for _ in range(200):
        assert ids.edrpou_valid(ids.edrpou(rng))
        code = ids.rnokpp(rng, born=dt.date(1980, 5, 17), female=True)
        assert ids.rnokpp_valid(code) and int(code[8]) % 2 == 0
        iban = ids.iban_ua(rng, mfo="305299")
        assert len(iban) == 29 and ids.iban_valid(iban)
    assert ids.translit("Юрій Щербак") == "yurii shcherbak"
    assert ids.translit("Згурський") == "zghurskyi"
