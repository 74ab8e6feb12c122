"""The admin obeys the services: rights, history, one default contract, schedules of 100 %."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.customers.models import Customer, PaymentMethod, PaymentTerms
from orderdesk.pricing.models import Contract
from orderdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

MASTER_MODELS = [
    ("core", "currency"),
    ("core", "exchangerate"),
    ("audit", "event"),
    *(
        (m._meta.app_label, m._meta.model_name)
        for a in ("catalog", "customers", "pricing")
        for m in apps.get_app_config(a).get_models()
    ),
]


@pytest.fixture
def staff(client, db):
    user = UserFactory(username="root", roles=["administrator"])
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("app", "model"), MASTER_MODELS)
def test_every_master_data_model_has_a_working_admin_list(staff, app, model, contract):
    assert admin.site.is_registered(apps.get_model(app, model))
    response = staff.get(reverse(f"admin:{app}_{model}_changelist") + "?q=a")

    assert response.status_code == 200


def test_history_events_are_read_only_in_the_admin(staff, customer, admin_user):
    from orderdesk.customers.services import customer_update

    customer_update(by=admin_user, customer=customer, phone="+380441112233")
    event = Event.objects.get()

    assert staff.get(reverse("admin:audit_event_add")).status_code == 403
    assert staff.get(reverse("admin:audit_event_delete", args=[event.pk])).status_code == 403
    staff.post(reverse("admin:audit_event_change", args=[event.pk]), {"action": "forged"})
    event.refresh_from_db()
    assert event.action == "customers.customer.changed"


def test_a_customer_saved_in_the_admin_is_in_its_history(staff, customer):
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    data = {
        "legal_name": "ТОВ «Альфа»",
        "short_name": "Альфа Нова",
        "tax_id": customer.tax_id,
        "manager": customer.manager_id,
        "active": "on",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Тарас",
    }

    response = staff.post(url, data)

    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    customer.refresh_from_db()
    assert customer.short_name == "Альфа Нова"
    actions = list(
        Event.objects.filter(stream=stream_of(customer)).values_list("action", flat=True)
    )
    assert actions == ["customers.customer.changed", "customers.contact.added"]


def test_customers_are_deactivated_not_deleted_in_the_admin(staff, customer):
    response = staff.post(
        reverse("admin:customers_customer_delete", args=[customer.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_a_default_contract_added_in_the_admin_moves_the_default(staff, contract):
    data = {
        "customer": contract.customer_id,
        "number": "ADM-1",
        "date": "2026-03-01",
        "valid_from": "2026-03-01",
        "currency": "UAH",
        "payment_terms": PaymentTerms.objects.get(code="net14").pk,
        "payment_method": PaymentMethod.objects.get(code="bank").pk,
        "max_manual_discount": "0",
        "is_default": "on",
        "active": "on",
    }

    response = staff.post(reverse("admin:pricing_contract_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    contract.refresh_from_db()
    assert not contract.is_default
    assert Contract.objects.get(number="ADM-1").is_default
    assert Event.objects.filter(stream=stream_of(contract.customer)).count() == 2


def test_payment_terms_in_the_admin_must_add_up_to_100(staff):
    data = {
        "code": "adm",
        "name": "Admin terms",
        "active": "on",
        "instalments-TOTAL_FORMS": "2",
        "instalments-INITIAL_FORMS": "0",
        "instalments-MIN_NUM_FORMS": "1",
        "instalments-0-position": "1",
        "instalments-0-share_percent": "40",
        "instalments-0-trigger": "on_order",
        "instalments-0-days": "0",
        "instalments-1-position": "2",
        "instalments-1-share_percent": "50",
        "instalments-1-trigger": "after_shipment",
        "instalments-1-days": "14",
    }

    refused = staff.post(reverse("admin:customers_paymentterms_add"), data)
    assert refused.status_code == 200
    assert not PaymentTerms.objects.filter(code="adm").exists()

    data["instalments-1-share_percent"] = "60"
    saved = staff.post(reverse("admin:customers_paymentterms_add"), data)
    assert saved.status_code == 302
    terms = PaymentTerms.objects.get(code="adm")
    assert terms.instalments.count() == 2
    assert Event.objects.get(stream=stream_of(terms)).action == "customers.paymentterms.created"


def test_an_overlapping_price_is_refused_in_the_admin(staff, price_list, product):
    data = {
        "price_list": price_list.pk,
        "product": product.pk,
        "price": "10",
        "min_quantity": "0",
        "valid_from": "2026-01-01",
    }

    response = staff.post(reverse("admin:pricing_pricelistitem_add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["__all__"]
    assert [e.code for e in errors] == ["price_period_overlap"]
