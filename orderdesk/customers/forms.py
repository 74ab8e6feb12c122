"""Page forms for customers and contacts: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from orderdesk.core.errors import DomainError

from .models import Contact, Customer
from .selectors import assignable_managers, editable_customer_fields

CUSTOMER_FORM_FIELDS = [
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


def attach_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal beside the fields it names, else above the form."""
    named = [name for name in exc.fields if name in form.fields]
    message = f"{exc.detail} ({exc.code})"
    for name in named:
        form.add_error(name, message)
    if not named:
        form.add_error(None, message)


class CustomerForm(forms.Form):
    """The fields the user may set: all for an administrator or the team's head, the contact
    details for the customer's own manager; a new customer's manager is the creating manager."""

    def __init__(self, *args, user, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Customer, fields=CUSTOMER_FORM_FIELDS))
        for name in ("tax_id", "vat_number"):
            self.fields[name].max_length = None  # the service explains a wrong length
            self.fields[name].widget.attrs.pop("maxlength", None)
            self.fields[name].validators = []
        self.fields["tax_id"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        self.fields["email"] = forms.CharField(
            label=self.fields["email"].label, required=False, max_length=254
        )
        managers = assignable_managers(user)
        if customer is None:
            allowed = None
            if managers.count() <= 1:
                del self.fields["manager"]
            else:
                self.fields["manager"].queryset = managers
                self.fields["manager"].required = False
                self.fields["manager"].initial = user.pk
        else:
            allowed = editable_customer_fields(user, customer)
            self.initial = forms.model_to_dict(customer, fields=CUSTOMER_FORM_FIELDS)
            ids = {*managers.values_list("pk", flat=True), customer.manager_id}
            self.fields["manager"].queryset = (
                get_user_model().objects.filter(pk__in=ids).order_by("username")
            )
        for name in list(self.fields):
            if allowed is not None and name not in allowed:
                del self.fields[name]
        if "manager" in self.fields:
            self.fields["manager"].label_from_instance = lambda u: (
                u.get_full_name() or u.get_username()
            )


class ContactForm(forms.Form):
    def __init__(self, *args, contact: Contact | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Contact, fields=["name", "position", "phone", "email", "is_primary"]
            )
        )
        self.fields["email"] = forms.CharField(label=_("e-mail"), required=False, max_length=254)
        if contact is not None:
            self.initial = forms.model_to_dict(contact, fields=list(self.fields))
