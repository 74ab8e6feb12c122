"""Forms of the payment pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from orderdesk.core.models import Currency

from . import providers
from .choices import IntermediaryKind
from .services.payouts import FIELDS

FIELD_LABELS = {
    "reference": _("Reference (parcel, marketplace order, payment link)"),
    "order_number": _("Our order number"),
    "invoice_number": _("Our invoice number"),
    "payer": _("Payer"),
    "date": _("Date paid"),
    "items": _("Items"),
    "gross": _("Paid by the customer (gross)"),
    "commission": _("Commission"),
    "net": _("Transferred (net)"),
}


def provider_choices() -> list[tuple[str, str]]:
    return [(a.code, a.label) for a in providers.configured()]


class LinkForm(forms.Form):
    provider = forms.ChoiceField(label=_("Payment service"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.TextInput)


class MatchForm(forms.Form):
    number = forms.CharField(label=_("Invoice or order number"), max_length=64)


class HoldApplyForm(forms.Form):
    number = forms.CharField(
        label=_("Invoice number (if not the link's)"), max_length=64, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class IntermediaryForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=255)
    kind = forms.ChoiceField(label=_("Kind"), choices=IntermediaryKind.choices)
    tax_id = forms.CharField(label=_("ЄДРПОУ"), max_length=10, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=34, required=False)
    contract_number = forms.CharField(label=_("Agent contract"), max_length=64, required=False)
    contract_date = forms.DateField(
        label=_("Contract date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(active=True), to_field_name="code"
    )
    commission_percent = forms.CharField(label=_("Commission, %"), initial="0")
    commission_fixed = forms.CharField(label=_("Commission per item"), initial="0")
    commission_withheld = forms.BooleanField(
        label=_("Commission withheld from the transfer"), required=False, initial=True
    )
    delimiter = forms.CharField(label=_("Column separator"), max_length=1, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FIELDS:
            self.fields[f"col_{name}"] = forms.CharField(
                label=_("Column: %(f)s") % {"f": FIELD_LABELS[name]},
                max_length=100,
                required=False,
            )

    @classmethod
    def initial_for(cls, intermediary) -> dict:
        data = {
            name: getattr(intermediary, name)
            for name in (
                "code",
                "name",
                "kind",
                "tax_id",
                "iban",
                "contract_number",
                "contract_date",
                "commission_percent",
                "commission_fixed",
                "commission_withheld",
                "delimiter",
                "is_active",
            )
        }
        data["currency"] = intermediary.currency_id
        for name, column in (intermediary.column_mapping or {}).items():
            data[f"col_{name}"] = column
        return data

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        mapping = {name: data.pop(f"col_{name}", "") for name in FIELDS}
        data["column_mapping"] = {k: v for k, v in mapping.items() if v}
        data["currency"] = data["currency"].code
        return data


class PayoutImportForm(forms.Form):
    file = forms.FileField(label=_("Payout report (CSV)"))
    number = forms.CharField(label=_("Report number"), max_length=64, required=False)
    report_date = forms.DateField(
        label=_("Report date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expected_net_total = forms.CharField(
        label=_("Amount received in the bank (optional check)"), max_length=32, required=False
    )
    delimiter = forms.ChoiceField(
        label=_("Column separator"),
        required=False,
        choices=[("", _("the intermediary's / detect")), (";", ";"), (",", ","), ("\t", "Tab")],
    )

    def __init__(self, *args, intermediary=None, **kwargs):
        super().__init__(*args, **kwargs)
        mapping = (intermediary.column_mapping or {}) if intermediary else {}
        for name in FIELDS:
            self.fields[f"col_{name}"] = forms.CharField(
                label=_("Column: %(f)s") % {"f": FIELD_LABELS[name]},
                max_length=100,
                required=False,
                initial=mapping.get(name, ""),
            )

    def mapping(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"col_{name}", "").strip()
            for name in FIELDS
            if self.cleaned_data.get(f"col_{name}", "").strip()
        }
