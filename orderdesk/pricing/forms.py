"""Page forms for contracts and prices: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orderdesk.catalog.models import Product
from orderdesk.core.models import Currency
from orderdesk.customers.models import DeliveryMethod, PaymentMethod, PaymentTerms

from .models import Contract, ContractPrice, PriceImport, PriceList, PriceListItem

CONTRACT_FORM_FIELDS = [
    "number",
    "date",
    "valid_from",
    "valid_to",
    "currency",
    "price_list",
    "payment_terms",
    "payment_method",
    "delivery_method",
    "delivery_terms",
    "max_manual_discount",
    "is_default",
    "active",
]
ITEM_FORM_FIELDS = ["product", "price", "min_quantity", "valid_from", "valid_to"]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(forms.Form):
    """Offers the active references (and the contract's own, should one be inactive now)."""

    def __init__(self, *args, contract: Contract | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Contract, fields=CONTRACT_FORM_FIELDS))
        for name in ("date", "valid_from", "valid_to"):
            self.fields[name].widget = DATE
        self.fields["valid_from"].required = False
        own = forms.model_to_dict(contract, fields=CONTRACT_FORM_FIELDS) if contract else {}
        for name, model in (
            ("currency", Currency),
            ("price_list", PriceList),
            ("payment_terms", PaymentTerms),
            ("payment_method", PaymentMethod),
            ("delivery_method", DeliveryMethod),
        ):
            self.fields[name].queryset = model.objects.filter(Q(active=True) | Q(pk=own.get(name)))
        if contract is not None:
            self.initial = own


class PriceItemForm(forms.Form):
    def __init__(self, *args, item: PriceListItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(PriceListItem, fields=ITEM_FORM_FIELDS))
        for name in ("valid_from", "valid_to"):
            self.fields[name].widget = DATE
        for name in ("price", "min_quantity"):
            self.fields[name].validators = []  # the service names a negative value
            self.fields[name].widget.attrs.pop("min", None)
        del self.fields["product"]
        if item is not None:
            self.initial = forms.model_to_dict(item, fields=ITEM_FORM_FIELDS)
        else:
            # a SKU box, not a select of the whole catalogue
            self.fields = {"sku": forms.CharField(label=_("SKU"), max_length=64), **self.fields}

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product with this SKU."), code="product_unknown")
        self.cleaned_data["product"] = product
        return sku

    def service_input(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "sku"}


class PriceImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    mode = forms.ChoiceField(
        label=_("Mode"), choices=PriceImport.Mode.choices, initial=PriceImport.Mode.ADD
    )


class ContractPriceForm(forms.Form):
    """An individual price of a contract: a SKU box, the price, the validity."""

    sku = forms.CharField(label=_("SKU"), max_length=64)
    price = forms.DecimalField(label=_("Price"), max_digits=18, decimal_places=4, localize=True)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DATE)
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DATE)

    def __init__(self, *args, item: ContractPrice | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if item is not None:
            del self.fields["sku"]
            self.initial = forms.model_to_dict(item, fields=["price", "valid_from", "valid_to"])

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product with this SKU."), code="product_unknown")
        self.cleaned_data["product"] = product
        return sku

    def service_input(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "sku"}
