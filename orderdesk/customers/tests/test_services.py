"""Customer, contact and trade-terms services: rules, rights, history, nothing saved on error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.audit.selectors import verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.customers import services
from orderdesk.customers.models import (
    Contact,
    Customer,
    CustomerGroup,
    PaymentMethod,
    PaymentTerms,
)
from orderdesk.customers.services import InstalmentInput
from orderdesk.testing.factories import (
    ContactFactory,
    CustomerFactory,
    CustomerGroupFactory,
    SalesTeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def new_customer(by, **kw):
    values = {"legal_name": "ТОВ «Бета»", "short_name": "Бета", "tax_id": "12345678", **kw}
    return services.customer_create(by=by, **values)


# --- customers ------------------------------------------------------------------------------


def test_customer_create_by_manager_makes_the_manager_responsible_and_records_history(manager):
    customer = new_customer(
        manager, vat_number="123456789", iban="UA21 3223 1300 0002 6007 2335 6600 1"
    )

    assert customer.manager == manager
    assert customer.iban == "UA213223130000026007233566001"
    event = Event.objects.get(stream=stream_of(customer))
    assert event.action == "customers.customer.created"
    assert event.actor == manager
    assert event.changes["tax_id"] == {"from": None, "to": "12345678"}


@pytest.mark.parametrize("tax_id", ["1234567", "123456789", "12345678901", "1234567a", ""])
def test_customer_create_refuses_a_tax_id_that_is_not_8_or_10_digits(manager, tax_id):
    with pytest.raises(ValidationFailed) as err:
        new_customer(manager, tax_id=tax_id)

    assert err.value.code in ("tax_id_invalid", "tax_id_required")
    assert not Customer.objects.exists()
    assert not Event.objects.exists()


def test_customer_create_accepts_a_10_digit_ipn(manager):
    assert new_customer(manager, tax_id="1234567890").tax_id == "1234567890"


def test_customer_create_refuses_a_taken_tax_id(manager, customer):
    with pytest.raises(ValidationFailed) as err:
        new_customer(manager, tax_id=customer.tax_id)

    assert err.value.code == "tax_id_taken"
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("vat_number", "12", "vat_number_invalid"),
        ("email", "not-an-address", "email_invalid"),
        ("iban", "123", "iban_invalid"),
        ("legal_name", "   ", "legal_name_required"),
        ("short_name", "x" * 129, "value_too_long"),
    ],
)
def test_customer_create_refuses_bad_details(manager, field, value, code):
    with pytest.raises(ValidationFailed) as err:
        new_customer(manager, **{field: value})

    assert err.value.code == code
    assert not Customer.objects.exists()


def test_customer_create_refused_to_the_warehouse_and_to_accountants(db):
    for role in ("warehouse", "accountant", "credit_controller"):
        user = UserFactory(roles=[role])
        with pytest.raises(PermissionRefused) as err:
            new_customer(user)
        assert err.value.code == "customer_create_forbidden"
    assert not Customer.objects.exists()


def test_a_manager_cannot_create_a_customer_for_another_manager(manager, other_manager):
    with pytest.raises(PermissionRefused) as err:
        new_customer(manager, manager=other_manager)

    assert err.value.code == "customer_manager_forbidden"


def test_a_head_assigns_a_team_member_but_not_an_outsider(head, manager, other_manager):
    SalesTeamFactory(head=head).members.add(manager)

    assert new_customer(head, manager=manager).manager == manager
    with pytest.raises(PermissionRefused) as err:
        new_customer(head, tax_id="87654321", manager=other_manager)
    assert err.value.code == "customer_manager_forbidden"


def test_customer_update_records_before_and_after(admin_user, customer):
    group = CustomerGroupFactory()

    services.customer_update(
        by=admin_user, customer=customer, legal_name="ТОВ «Альфа-2»", group=group
    )

    customer.refresh_from_db()
    assert customer.legal_name == "ТОВ «Альфа-2»"
    event = Event.objects.filter(stream=stream_of(customer)).last()
    assert event.action == "customers.customer.changed"
    assert event.changes == {
        "legal_name": {"from": "ТОВ «Альфа»", "to": "ТОВ «Альфа-2»"},
        "group": {"from": None, "to": group.name},
    }
    assert verify_chain([stream_of(customer)])[1] is None


def test_customer_update_without_a_change_records_nothing(admin_user, customer):
    services.customer_update(by=admin_user, customer=customer, legal_name=customer.legal_name)

    assert not Event.objects.filter(stream=stream_of(customer)).exists()


def test_manager_changes_only_the_contact_details_of_own_customer(manager, customer):
    services.customer_update(
        by=manager, customer=customer, delivery_address="м. Львів, пл. Ринок, 1"
    )

    with pytest.raises(PermissionRefused) as err:
        services.customer_update(by=manager, customer=customer, legal_name="ТОВ «Інша»")
    assert err.value.code == "customer_field_forbidden"
    customer.refresh_from_db()
    assert customer.delivery_address == "м. Львів, пл. Ринок, 1"
    assert customer.legal_name == "ТОВ «Альфа»"


def test_manager_cannot_change_another_managers_customer(other_manager, customer):
    with pytest.raises(PermissionRefused) as err:
        services.customer_update(by=other_manager, customer=customer, phone="+380501112233")

    assert err.value.code == "customer_edit_forbidden"


def test_customer_update_refuses_a_taken_tax_id_and_saves_nothing(admin_user, customer):
    other = CustomerFactory()

    with pytest.raises(ValidationFailed) as err:
        services.customer_update(by=admin_user, customer=other, tax_id=customer.tax_id, phone="1")

    assert err.value.code == "tax_id_taken"
    other.refresh_from_db()
    assert other.phone == ""


def test_customer_update_refuses_an_unknown_field(admin_user, customer):
    with pytest.raises(ValidationFailed) as err:
        services.customer_update(by=admin_user, customer=customer, credit_limit=5)

    assert err.value.code == "unknown_field"


# --- contacts -------------------------------------------------------------------------------


def test_contacts_are_added_changed_and_removed_in_the_customers_history(manager, customer):
    contact = services.contact_add(by=manager, customer=customer, name="Олена", is_primary=True)
    services.contact_update(by=manager, contact=contact, phone="+380671234567")
    services.contact_remove(by=manager, contact=contact)

    assert not Contact.objects.exists()
    actions = list(
        Event.objects.filter(stream=stream_of(customer))
        .order_by("seq")
        .values_list("action", "changes")
    )
    assert [a for a, _c in actions] == [
        "customers.contact.added",
        "customers.contact.changed",
        "customers.contact.removed",
    ]
    assert actions[1][1] == {"phone": {"from": "", "to": "+380671234567"}}
    assert actions[2][1]["name"] == {"from": "Олена", "to": None}


def test_a_new_primary_contact_takes_over_from_the_old_one(manager, customer):
    old = ContactFactory(customer=customer, is_primary=True)

    new = services.contact_add(by=manager, customer=customer, name="Петро", is_primary=True)

    old.refresh_from_db()
    assert (old.is_primary, new.is_primary) == (False, True)


def test_contact_refusals(manager, other_manager, customer):
    with pytest.raises(PermissionRefused) as err:
        services.contact_add(by=other_manager, customer=customer, name="Ігор")
    assert err.value.code == "contact_edit_forbidden"
    with pytest.raises(ValidationFailed) as err:
        services.contact_add(by=manager, customer=customer, name=" ")
    assert err.value.code == "name_required"
    with pytest.raises(ValidationFailed) as err:
        services.contact_add(by=manager, customer=customer, name="Ігор", email="ігор@")
    assert err.value.code == "email_invalid"
    assert not Contact.objects.exists()
    assert not Event.objects.exists()


# --- reference data -------------------------------------------------------------------------


def test_reference_data_is_the_administrators(admin_user, manager):
    group = services.customer_group_create(by=admin_user, code="WHS", name="Оптові")
    services.customer_group_update(by=admin_user, group=group, name="Оптові клієнти")
    method = services.payment_method_create(
        by=admin_user, code="iban", name="IBAN", kind="bank_transfer"
    )
    services.delivery_method_create(by=admin_user, code="ukr", name="Укрпошта")

    group.refresh_from_db()
    assert group.name == "Оптові клієнти"
    assert Event.objects.filter(stream=stream_of(group)).count() == 2
    assert Event.objects.get(stream=stream_of(method)).action == "customers.paymentmethod.created"
    with pytest.raises(PermissionRefused) as err:
        services.customer_group_create(by=manager, code="X", name="X")
    assert err.value.code == "master_data_forbidden"


def test_reference_codes_are_unique_and_kinds_known(admin_user):
    with pytest.raises(ValidationFailed) as err:
        services.payment_method_create(
            by=admin_user, code="bank", name="Банк", kind="bank_transfer"
        )
    assert err.value.code == "code_taken"
    with pytest.raises(ValidationFailed) as err:
        services.payment_method_create(by=admin_user, code="crypto", name="Крипта", kind="crypto")
    assert err.value.code == "payment_method_kind_invalid"
    assert not PaymentMethod.objects.filter(code="crypto").exists()
    assert not CustomerGroup.objects.exists()


# --- payment terms --------------------------------------------------------------------------


def test_payment_terms_with_a_50_50_schedule(admin_user):
    terms = services.payment_terms_create(
        by=admin_user,
        code="half14",
        name="50/50",
        instalments=[
            InstalmentInput(Decimal("50"), "on_order", 0),
            {"share_percent": Decimal("50"), "trigger": "after_shipment", "days": 14},
        ],
    )

    assert terms.prepayment_percent == Decimal("50")
    assert terms.max_days == 14
    event = Event.objects.get(stream=stream_of(terms))
    assert event.changes["instalments"]["to"][1] == {
        "share_percent": "50",
        "trigger": "after_shipment",
        "days": 14,
    }


@pytest.mark.parametrize(
    ("shares", "code"),
    [
        (["50", "40"], "instalments_not_100"),
        (["60", "50"], "instalments_not_100"),
        ([], "instalments_not_100"),
        (["0", "100"], "instalment_share_invalid"),
        (["100.001"], "instalment_share_invalid"),
    ],
)
def test_payment_terms_shares_must_add_up_to_exactly_100(admin_user, shares, code):
    schedule = [InstalmentInput(Decimal(s), "after_invoice", 5) for s in shares]

    with pytest.raises(ValidationFailed) as err:
        services.payment_terms_create(by=admin_user, code="bad", name="Bad", instalments=schedule)

    assert err.value.code == code
    assert not PaymentTerms.objects.filter(code="bad").exists()


def test_payment_terms_refuse_an_unknown_trigger_and_negative_days(admin_user):
    with pytest.raises(ValidationFailed) as err:
        services.payment_terms_create(
            by=admin_user, code="t", name="T", instalments=[InstalmentInput(Decimal(100), "never")]
        )
    assert err.value.code == "instalment_trigger_invalid"
    with pytest.raises(ValidationFailed) as err:
        services.payment_terms_create(
            by=admin_user,
            code="t",
            name="T",
            instalments=[InstalmentInput(Decimal(100), "on_order", -1)],
        )
    assert err.value.code == "instalment_days_invalid"


def test_payment_terms_update_replaces_the_schedule_or_keeps_it(admin_user):
    terms = PaymentTerms.objects.get(code="net14")

    services.payment_terms_update(by=admin_user, terms=terms, name="Відстрочка 14 днів (нова)")
    assert terms.instalments.count() == 1
    services.payment_terms_update(
        by=admin_user,
        terms=terms,
        instalments=[
            InstalmentInput(Decimal("30"), "before_shipment"),
            InstalmentInput(Decimal("70"), "after_shipment", 14),
        ],
    )
    assert list(terms.instalments.values_list("position", "share_percent")) == [
        (1, Decimal("30")),
        (2, Decimal("70")),
    ]
    with pytest.raises(ValidationFailed):
        services.payment_terms_update(
            by=admin_user, terms=terms, instalments=[InstalmentInput(Decimal("30"), "on_order")]
        )
    assert terms.instalments.count() == 2
    assert Event.objects.filter(stream=stream_of(terms)).count() == 2
