"""Customers and their contacts: validate, lock the customer row (the stream root), change,
record history. `by=None` is the system (a command); a person is checked against the rights in
`customers.selectors`.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, diff, record, record_many, snapshot, stream_of
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.core.roles import Role, roles_of

from ..models import Contact, Customer, CustomerGroup
from ..selectors import (
    can_create_customer,
    can_edit_contacts,
    editable_customer_fields,
    is_administrator,
    team_manager_ids,
)
from .checks import apply_changes, check_email, clean_text, save_unique

TAX_ID_RE = re.compile(r"^([0-9]{8}|[0-9]{10})\Z")
VAT_NUMBER_RE = re.compile(r"^[0-9]{9,12}\Z")
IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}\Z")

CUSTOMER_FIELDS = [
    "legal_name",
    "short_name",
    "tax_id",
    "vat_number",
    "iban",
    "legal_address",
    "delivery_address",
    "email",
    "phone",
    "manager",
    "group",
    "active",
]
CONTACT_FIELDS = ["name", "position", "phone", "email", "is_primary"]


def _check_customer(customer: Customer) -> None:
    # tax id, VAT number and IBAN are checked by their format (which includes the length)
    customer.tax_id = (customer.tax_id or "").strip()
    customer.vat_number = (customer.vat_number or "").strip()
    customer.iban = (customer.iban or "").replace(" ", "").upper()
    clean_text(
        customer,
        ["legal_name", "short_name", "legal_address", "delivery_address", "email", "phone"],
        required=("legal_name", "short_name"),
    )
    if not TAX_ID_RE.match(customer.tax_id):
        raise ValidationFailed(
            _("A tax id has 8 digits (ЄДРПОУ) or 10 digits (ІПН)."),
            code="tax_id_invalid",
            fields={"tax_id": customer.tax_id},
        )
    if customer.vat_number and not VAT_NUMBER_RE.match(customer.vat_number):
        raise ValidationFailed(
            _("A VAT payer number has 9 to 12 digits."),
            code="vat_number_invalid",
            fields={"vat_number": customer.vat_number},
        )
    if customer.iban and not IBAN_RE.match(customer.iban):
        raise ValidationFailed(
            _("“%(v)s” is not an IBAN.") % {"v": customer.iban},
            code="iban_invalid",
            fields={"iban": customer.iban},
        )
    check_email(customer.email)
    if customer.manager_id is None:
        raise ValidationFailed(
            _("Choose the responsible manager."), code="manager_required", fields={"manager": None}
        )
    if Customer.objects.filter(tax_id=customer.tax_id).exclude(pk=customer.pk).exists():
        raise _tax_id_taken(customer.tax_id)


def _tax_id_taken(tax_id: str) -> ValidationFailed:
    return ValidationFailed(
        _("A customer with tax id %(t)s already exists.") % {"t": tax_id},
        code="tax_id_taken",
        fields={"tax_id": tax_id},
    )


def _check_manager(by, manager) -> None:
    """Who may make `manager` responsible: an administrator anyone, a head the team, a manager self."""
    if by is None or manager is None or is_administrator(by):
        return
    roles = roles_of(by)
    if (Role.SALES_HEAD in roles and manager.pk in team_manager_ids(by)) or manager.pk == by.pk:
        return
    raise PermissionRefused(
        _("You may not make %(u)s responsible for a customer.") % {"u": manager},
        code="customer_manager_forbidden",
        fields={"manager": manager.pk},
    )


@atomic_with_retry
def customer_create(
    *,
    by,
    legal_name: str,
    short_name: str,
    tax_id: str,
    manager=None,
    group: CustomerGroup | None = None,
    vat_number: str = "",
    iban: str = "",
    legal_address: str = "",
    delivery_address: str = "",
    email: str = "",
    phone: str = "",
    active: bool = True,
) -> Customer:
    """Create a customer; the creating sales manager becomes its manager.

    Rights: administrator, head of sales (manager from the team), sales manager (self) —
    else `customer_create_forbidden` / `customer_manager_forbidden`. Input: `tax_id_invalid`,
    `tax_id_taken`, `vat_number_invalid`, `iban_invalid`, `email_invalid`, `*_required`.
    """
    if by is not None and not can_create_customer(by):
        raise PermissionRefused(
            _("You may not create customers."), code="customer_create_forbidden"
        )
    manager = manager or by
    _check_manager(by, manager)
    customer = Customer(
        legal_name=legal_name,
        short_name=short_name,
        tax_id=tax_id or "",
        vat_number=vat_number,
        iban=iban,
        legal_address=legal_address,
        delivery_address=delivery_address,
        email=email,
        phone=phone,
        manager=manager,
        group=group,
        active=active,
    )
    _check_customer(customer)
    save_unique(customer, _tax_id_taken(customer.tax_id))
    record(
        action="customers.customer.created",
        obj=customer,
        by=by,
        changes=diff({}, snapshot(customer, CUSTOMER_FIELDS)),
    )
    return customer


@atomic_with_retry
def customer_update(*, by, customer: Customer, **changes) -> Customer:
    """Change a customer's details (the row is locked: it is the stream root).

    A sales manager may change only the contact details of own customers
    (`customer_field_forbidden`); others without rights get `customer_edit_forbidden`.
    Same input checks as customer_create.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    allowed = None if by is None else editable_customer_fields(by, customer)
    if allowed == frozenset():
        raise PermissionRefused(
            _("You may not change this customer."), code="customer_edit_forbidden"
        )
    before = snapshot(customer, CUSTOMER_FIELDS)
    apply_changes(customer, changes, CUSTOMER_FIELDS)
    _check_customer(customer)
    delta = diff(before, snapshot(customer, CUSTOMER_FIELDS))
    forbidden = sorted(set(delta) - allowed) if allowed is not None else []
    if forbidden:
        raise PermissionRefused(
            _("You may not change: %(f)s.") % {"f": ", ".join(forbidden)},
            code="customer_field_forbidden",
            fields=dict.fromkeys(forbidden, "forbidden"),
        )
    if "manager" in delta:
        _check_manager(by, customer.manager)
    save_unique(customer, _tax_id_taken(customer.tax_id))
    if delta:
        record(action="customers.customer.changed", obj=customer, by=by, changes=delta)
    return customer


# --- contacts (history in the customer's stream) --------------------------------------------


def _lock_for_contacts(by, customer: Customer) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if by is not None and not can_edit_contacts(by, customer):
        raise PermissionRefused(
            _("You may not change the contacts of this customer."),
            code="contact_edit_forbidden",
        )
    return customer


def _check_contact(contact: Contact) -> None:
    clean_text(contact, ["name", "position", "phone", "email"], required=("name",))
    check_email(contact.email)


def _unset_other_primary(contact: Contact) -> list[Entry]:
    others = list(
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(
            pk=contact.pk
        )
    )
    Contact.objects.filter(pk__in=[c.pk for c in others]).update(is_primary=False)
    return [
        Entry("customers.contact.changed", c, {"is_primary": {"from": True, "to": False}})
        for c in others
    ]


@atomic_with_retry
def contact_add(
    *,
    by,
    customer: Customer,
    name: str,
    position: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
) -> Contact:
    """Add a person at the customer; one primary contact at a time.

    Raises `contact_edit_forbidden`, `name_required`, `email_invalid`, `value_too_long`.
    """
    customer = _lock_for_contacts(by, customer)
    contact = Contact(
        customer=customer,
        name=name,
        position=position,
        phone=phone,
        email=email,
        is_primary=is_primary,
    )
    _check_contact(contact)
    contact.save()
    entries = _unset_other_primary(contact) if contact.is_primary else []
    entries.insert(
        0,
        Entry("customers.contact.added", contact, diff({}, snapshot(contact, CONTACT_FIELDS))),
    )
    record_many(stream=stream_of(customer), entries=entries, by=by)
    return contact


@atomic_with_retry
def contact_update(*, by, contact: Contact, **changes) -> Contact:
    """Change a contact (same rights and checks as contact_add)."""
    customer = _lock_for_contacts(by, contact.customer)
    contact = Contact.objects.get(pk=contact.pk, customer=customer)
    before = snapshot(contact, CONTACT_FIELDS)
    apply_changes(contact, changes, CONTACT_FIELDS)
    _check_contact(contact)
    contact.save()
    delta = diff(before, snapshot(contact, CONTACT_FIELDS))
    entries = [Entry("customers.contact.changed", contact, delta)] if delta else []
    if contact.is_primary:
        entries += _unset_other_primary(contact)
    record_many(stream=stream_of(customer), entries=entries, by=by)
    return contact


@atomic_with_retry
def contact_remove(*, by, contact: Contact) -> None:
    """Remove a contact; its last details stay in the customer's history."""
    customer = _lock_for_contacts(by, contact.customer)
    contact = Contact.objects.get(pk=contact.pk, customer=customer)
    gone = {k: {"from": v, "to": None} for k, v in snapshot(contact, CONTACT_FIELDS).items()}
    record(
        action="customers.contact.removed",
        obj=contact,
        by=by,
        stream=stream_of(customer),
        changes=gone,
    )
    contact.delete()
