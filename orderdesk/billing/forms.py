"""Forms of the billing pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orderdesk.core.models import Currency
from orderdesk.customers.models import Customer
from orderdesk.customers.selectors import customer_scope

from .services.statement import DEFAULT_MAPPING, FIELDS


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    order = forms.IntegerField(label=_("Order id (optional)"), required=False, min_value=1)
    payment_date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2)
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(active=True), to_field_name="code"
    )
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=64, required=False)
    purpose = forms.CharField(label=_("Purpose of payment"), max_length=500, required=False)
    allocate = forms.ChoiceField(
        label=_("Settle"),
        choices=[
            ("auto", _("the oldest due invoices first")),
            ("none", _("nothing now (keep as credit)")),
        ],
        initial="auto",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(customer_scope(user)).order_by(
            "short_name"
        )
        self.fields["currency"].initial = "UAH"


class CashReceiptForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    order = forms.IntegerField(label=_("Order id (optional)"), required=False, min_value=1)
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2)
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(active=True), to_field_name="code"
    )
    received_from = forms.CharField(label=_("Received from"), max_length=255, required=False)
    basis = forms.CharField(label=_("Basis"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(customer_scope(user)).order_by(
            "short_name"
        )
        self.fields["currency"].initial = "UAH"


class StatementImportForm(forms.Form):
    file = forms.FileField(label=_("Bank statement (CSV)"))
    delimiter = forms.ChoiceField(
        label=_("Separator"),
        choices=[("", _("detect")), (";", ";"), (",", ","), ("\t", _("tab"))],
        required=False,
    )
    skip_duplicates = forms.BooleanField(label=_("Skip payments imported before"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "date": _("Column: date"),
            "amount": _("Column: amount"),
            "currency": _("Column: currency"),
            "payer_tax_id": _("Column: payer's tax id"),
            "purpose": _("Column: purpose"),
            "bank_reference": _("Column: bank reference"),
            "payer_name": _("Column: payer's name"),
        }
        for name in FIELDS:
            self.fields[f"map_{name}"] = forms.CharField(
                label=labels[name], max_length=128, required=False, initial=DEFAULT_MAPPING[name]
            )

    def mapping(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"map_{name}", "")
            for name in FIELDS
            if self.cleaned_data.get(f"map_{name}")
        }
