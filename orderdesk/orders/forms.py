"""Forms of the order pages.

A form parses and checks the shape of what a person typed; the business rules (rights on
terms, contract validity, prices) are the services'. Terms the user may not change are shown
disabled; a disabled field is not submitted, so the form leaves it out and the service keeps
the standard value. A forged value for such a field is passed on, and the service refuses it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orderdesk.catalog.models import Product, Warehouse
from orderdesk.core.errors import DomainError
from orderdesk.core.models import Currency
from orderdesk.core.roles import Role, is_admin, roles_of
from orderdesk.customers.models import Customer, DeliveryMethod, PaymentMethod, PaymentTerms
from orderdesk.pricing.models import Contract, PriceList

from .choices import HEADER_TERM, OrderStatus, Term
from .models import CancellationReason, Order, OrderLine
from .permissions import (
    SEE_ALL,
    allowed_terms,
    customer_scope,
    managed_customer_q,
    team_manager_ids,
)
from .services import LineInput

TERM_FIELDS = tuple(HEADER_TERM)
LINE_ERROR = re.compile(r"^lines\[(\d+)\]\.(\w+)")
ROW_KEY = re.compile(r"^lines-([0-9a-z]+)-(product|quantity)$")


# --- querysets the pages choose from -----------------------------------------------------------


def sellable_customers(user) -> QuerySet[Customer]:
    """Active customers the user enters orders for (own, the team's, or all for an administrator)."""
    if is_admin(user):
        return Customer.objects.filter(active=True)
    q = managed_customer_q(user)
    if q is None:
        return Customer.objects.none()
    return Customer.objects.filter(q, active=True)


def visible_customers(user) -> QuerySet[Customer]:
    return Customer.objects.filter(customer_scope(user))


def may_enter_orders(user) -> bool:
    return bool(roles_of(user) & {Role.SALES_MANAGER, Role.SALES_HEAD, Role.ADMINISTRATOR})


def _variants(text: str) -> set[str]:
    """Case variants of a search text: SQLite folds the case of ASCII letters only, so
    "цемент" would not find "Цемент" there; PostgreSQL needs just the text itself."""
    return {text, text.lower(), text.upper(), text.capitalize()}


def search_customers(qs: QuerySet[Customer], text: str, limit: int = 50) -> list[Customer]:
    text = (text or "").strip()
    if text:
        q = Q(tax_id=text)
        for v in _variants(text):
            q |= Q(short_name__icontains=v) | Q(legal_name__icontains=v)
        qs = qs.filter(q)
    return list(qs.order_by("short_name")[:limit])


def search_products(text: str, limit: int = 30) -> list[Product]:
    qs = Product.objects.filter(active=True)
    text = (text or "").strip()
    if text:
        q = Q()
        for v in _variants(text):
            q |= Q(sku__icontains=v) | Q(name__icontains=v)
        qs = qs.filter(q)
    return list(qs.order_by("sku")[:limit])


def decimal_field(label, **kwargs) -> forms.DecimalField:
    """A decimal typed with a comma or a point; the services check range and precision."""
    return forms.DecimalField(
        label=label,
        localize=True,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- disabled fields --------------------------------------------------------------------------


class LockedFieldsMixin:
    """Fields in `locked` render disabled. When bound, a locked field the browser left out
    takes its initial value (so the page shows it) and is remembered as absent."""

    def _lock(self, locked: set[str]) -> None:
        self.locked = {name for name in locked if name in self.fields}
        self.absent: set[str] = set()
        for name in self.locked:
            self.fields[name].widget.attrs["disabled"] = True
            self.fields[name].widget.attrs["title"] = _("You may not change this value.")
        if self.is_bound:
            data = self.data.copy()
            for name in self.locked:
                key = self.add_prefix(name)
                if key not in data:
                    self.absent.add(name)
                    initial = self.get_initial_for_field(self.fields[name], name)
                    if initial is not None:
                        value = self.fields[name].prepare_value(initial)
                        data[key] = "" if value is None else str(value)
            self.data = data

    def full_clean(self):
        super().full_clean()
        # A locked field the browser left out is not the user's input: whatever its stored
        # value (say, terms made inactive since), it is not validated and not passed on.
        for name in getattr(self, "absent", ()):
            if self._errors and name in self._errors:
                del self._errors[name]

    def submitted(self, name: str) -> bool:
        """Did the request carry this field? (A checkbox is always carried: absent = off.)"""
        if name in self.absent:
            return False
        if isinstance(self.fields[name], forms.BooleanField):
            return True
        return self.add_prefix(name) in self.data


# --- the list ---------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *OrderStatus.choices]
    )
    customer = forms.IntegerField(label=_("Customer"), required=False)
    manager = forms.TypedChoiceField(label=_("Manager"), required=False, coerce=int)
    date_from = forms.DateField(label=_("From"), required=False, widget=date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=date_input())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.show_manager = bool(roles_of(user) & (SEE_ALL | {Role.SALES_HEAD}))
        if self.show_manager:
            users = get_user_model().objects.filter(
                groups__name__in=[Role.SALES_MANAGER, Role.SALES_HEAD], is_active=True
            )
            if not roles_of(user) & SEE_ALL:
                users = users.filter(pk__in=team_manager_ids(user))
            self.fields["manager"].choices = [("", _("Any manager"))] + [
                (u.pk, u.get_full_name() or u.get_username())
                for u in users.distinct().order_by("last_name", "first_name", "username")
            ]
        else:
            del self.fields["manager"]

    def filters(self) -> dict[str, Any]:
        """The valid filters for selectors.order_list_for (invalid ones are left out)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def selected_customer(self) -> Customer | None:
        pk = self.cleaned_data.get("customer") if hasattr(self, "cleaned_data") else None
        if not pk:
            return None
        return visible_customers(self.user).filter(pk=pk).first()


# --- header -----------------------------------------------------------------------------------


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contract) -> str:
        label = str(obj)
        if obj.is_default:
            label = _("%(contract)s (default)") % {"contract": label}
        return label


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class HeaderForm(LockedFieldsMixin, forms.Form):
    """The order's header terms; the term fields follow the user's rights matrix."""

    contract = ContractChoiceField(
        label=_("Contract"),
        queryset=Contract.objects.none(),
        required=False,
        empty_label=_("— the default contract, if any —"),
    )
    order_date = forms.DateField(label=_("Order date"), required=False, widget=date_input())
    requested_delivery_date = forms.DateField(
        label=_("Requested delivery date"), required=False, widget=date_input()
    )
    customer_reference = forms.CharField(
        label=_("Customer's reference"), required=False, max_length=64
    )
    currency = forms.ModelChoiceField(
        label=_("Currency"),
        queryset=Currency.objects.filter(active=True),
        required=False,
        empty_label=None,
    )
    price_list = forms.ModelChoiceField(
        label=_("Price list"),
        queryset=PriceList.objects.filter(active=True),
        required=False,
        empty_label=_("— no price list —"),
    )
    payment_terms = forms.ModelChoiceField(
        label=_("Payment terms"),
        queryset=PaymentTerms.objects.filter(active=True),
        required=False,
        empty_label=_("— choose —"),
    )
    payment_method = forms.ModelChoiceField(
        label=_("Payment method"),
        queryset=PaymentMethod.objects.filter(active=True),
        required=False,
        empty_label=_("— choose —"),
    )
    delivery_method = forms.ModelChoiceField(
        label=_("Delivery method"),
        queryset=DeliveryMethod.objects.filter(active=True),
        required=False,
        empty_label=_("— not set —"),
    )
    delivery_terms = forms.CharField(label=_("Delivery terms"), required=False, max_length=128)
    delivery_address = forms.CharField(label=_("Delivery address"), required=False, max_length=255)
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.filter(active=True),
        required=False,
        empty_label=None,
    )
    partial_shipment_allowed = forms.BooleanField(
        label=_("Partial shipment allowed"), required=False
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    manager = UserChoiceField(
        label=_("Responsible manager"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=None,
    )
    discount_percent = decimal_field(_("Order discount, %"))

    def __init__(self, *args, user, customer: Customer | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.customer = customer
        current = self.initial.get("manager")
        self.fields["manager"].queryset = (
            get_user_model()
            .objects.filter(
                Q(is_active=True, groups__name__in=[Role.SALES_MANAGER, Role.SALES_HEAD])
                | Q(pk=getattr(current, "pk", current))
            )
            .distinct()
        )
        if customer is not None:
            self.fields["contract"].queryset = Contract.objects.filter(
                customer=customer, active=True
            ).order_by("-is_default", "-date")
        allowed = allowed_terms(user)
        self._lock({name for name, term in HEADER_TERM.items() if term not in allowed})

    def term_fields(self):
        return [self[name] for name in TERM_FIELDS]

    def other_fields(self):
        return [self[name] for name in self.fields if name not in TERM_FIELDS]

    def _value(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if name == "currency":
            return value.code if value is not None else None
        if name in ("customer_reference", "delivery_terms", "delivery_address", "comment"):
            return value or ""
        if name == "discount_percent":
            return value if value is not None else Decimal(0)
        return value

    def header_values(self) -> dict[str, Any]:
        """Every submitted header field for order_create (the contract goes separately)."""
        values = {}
        for name in self.fields:
            if name in ("customer", "contract", "order_date") or not self.submitted(name):
                continue
            values[name] = self._value(name)
        return values

    def changes(self, order: Order) -> dict[str, Any]:
        """The submitted header fields whose value differs from the order's, for order_update."""
        out = {}
        for name in self.fields:
            if not self.submitted(name):
                continue
            new = self._value(name)
            if name == "order_date" and new is None:
                continue
            old = order.currency_id if name == "currency" else getattr(order, name)
            if getattr(new, "pk", new) != getattr(old, "pk", old):
                out[name] = new
        return out


def header_initial(order: Order) -> dict[str, Any]:
    return {
        "contract": order.contract_id,
        "order_date": order.order_date,
        "requested_delivery_date": order.requested_delivery_date,
        "customer_reference": order.customer_reference,
        "currency": order.currency_id,
        "price_list": order.price_list_id,
        "payment_terms": order.payment_terms_id,
        "payment_method": order.payment_method_id,
        "delivery_method": order.delivery_method_id,
        "delivery_terms": order.delivery_terms,
        "delivery_address": order.delivery_address,
        "warehouse": order.warehouse_id,
        "partial_shipment_allowed": order.partial_shipment_allowed,
        "comment": order.comment,
        "manager": order.manager_id,
        "discount_percent": order.discount_percent,
    }


def standard_initial(standard: dict[str, Any]) -> dict[str, Any]:
    """Form initial values from services' standard terms (instances -> keys)."""
    out = {}
    for name, value in standard.items():
        out[name] = getattr(value, "pk", value)
    return out


class OrderCreateForm(HeaderForm):
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), empty_label=_("— choose —")
    )
    field_order = ["customer", "contract"]

    def __init__(self, *args, user, customer: Customer | None = None, **kwargs):
        super().__init__(*args, user=user, customer=customer, **kwargs)
        self.fields["customer"].queryset = sellable_customers(user)
        self.fields["customer"].error_messages["invalid_choice"] = _(
            "Choose one of your customers."
        )
        # the contract must be valid on the order date: a new date reloads the terms
        self.fields["order_date"].widget.attrs.update(
            {
                "hx-get": reverse("orders:create_terms"),
                "hx-trigger": "change",
                "hx-include": "#id_customer, #id_contract, #id_order_date",
                "hx-target": "#order-terms",
            }
        )


# --- lines ------------------------------------------------------------------------------------


class LineForm(LockedFieldsMixin, forms.Form):
    """One line being entered: product, quantity, optional price, discount and date."""

    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.all(), required=False
    )
    quantity = decimal_field(_("Quantity"))
    unit_price = decimal_field(_("Price"))
    discount_percent = decimal_field(_("Discount, %"))
    requested_delivery_date = forms.DateField(
        label=_("Requested date"), required=False, widget=date_input()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = allowed_terms(user)
        locked = set()
        if Term.PRICE not in allowed:
            locked.add("unit_price")
        if Term.DISCOUNT not in allowed:
            locked.add("discount_percent")
        self._lock(locked)

    def is_blank(self) -> bool:
        return not any(
            (self.data.get(self.add_prefix(name)) or "").strip()
            for name in ("product", "quantity", "unit_price", "discount_percent")
        )

    def clean(self):
        data = super().clean()
        if not self.is_blank():
            if not data.get("product") and "product" not in self.errors:
                self.add_error("product", _("Choose a product."))
            if data.get("quantity") is None and "quantity" not in self.errors:
                self.add_error("quantity", _("Enter a quantity."))
        return data

    def chosen_product(self) -> Product | None:
        return getattr(self, "cleaned_data", {}).get("product")

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            product=data["product"].pk,
            quantity=data["quantity"],
            unit_price=data.get("unit_price") if self.submitted("unit_price") else None,
            discount_percent=(
                data.get("discount_percent") if self.submitted("discount_percent") else None
            ),
            requested_delivery_date=data.get("requested_delivery_date"),
        )


def new_row_token() -> str:
    return secrets.token_hex(4)


class LineRows:
    """The line rows of a page, each a LineForm prefixed `lines-<token>`.

    Rows are added in the browser (a fresh token each) and removed freely, so there is no
    management form: the rows are the tokens found in the data, in page order. Blank rows are
    ignored.
    """

    def __init__(self, user, data=None, *, blank: int = 1):
        self.user = user
        if data is None:
            self.forms = [self.make() for _i in range(blank)]
        else:
            tokens = list(dict.fromkeys(m[1] for key in data if (m := ROW_KEY.match(key))))
            self.forms = [self.make(token, data) for token in tokens]

    def make(self, token: str | None = None, data=None) -> LineForm:
        form = LineForm(data, prefix=f"lines-{token or new_row_token()}", user=self.user)
        form.token = form.prefix.split("-", 1)[1]
        return form

    def __iter__(self):
        return iter(self.forms)

    def filled(self) -> list[LineForm]:
        return [f for f in self.forms if not f.is_blank()]

    def is_valid(self) -> bool:
        results = [f.is_valid() for f in self.filled()]  # every row, so each shows its errors
        return all(results)

    def inputs(self) -> list[LineInput]:
        return [f.line_input() for f in self.filled()]

    def form_at(self, index: int, field: str = "") -> LineForm | None:
        """The form of the index-th filled row (the services number lines from 0)."""
        filled = self.filled()
        return filled[index] if 0 <= index < len(filled) else None


def add_error(form: forms.Form, field: str, message: str) -> bool:
    """Attach `message` to `field` of `form` when the form has it; False otherwise."""
    if field in form.fields:
        if field not in (form.errors or {}) or message not in form.errors[field]:
            form.add_error(field, message)
        return True
    return False


def place_error(
    exc: DomainError,
    form: forms.Form | None = None,
    line_form: Callable[[int, str], forms.Form | None] | None = None,
) -> bool:
    """Put a service's refusal next to the fields it names; True if at least one was placed.

    `line_form(index, field)` finds the form of the line a `lines[i].field` key names.
    """
    placed = False
    for key in exc.fields:
        m = LINE_ERROR.match(str(key))
        if m:
            field = "quantity" if m[2] == "schedule" else m[2]
            target = line_form(int(m[1]), field) if line_form else None
            if target is not None:
                placed |= add_error(target, field, exc.detail)
        elif form is not None:
            placed |= add_error(form, str(key), exc.detail)
    return placed


# --- editing lines on a draft card ------------------------------------------------------------


class LineChangeForm(LockedFieldsMixin, forms.Form):
    """One line's editable values; only the fields present in the request are changed."""

    quantity = decimal_field(_("Quantity"))
    unit_price = decimal_field(_("Price"))
    discount_percent = decimal_field(_("Discount, %"))
    requested_delivery_date = forms.DateField(
        label=_("Requested date"), required=False, widget=date_input()
    )
    remove = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args, user, line: OrderLine | None = None, **kwargs):
        if line is not None:
            kwargs.setdefault(
                "initial",
                {
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount_percent": line.manual_discount_percent,  # the manual part
                    "requested_delivery_date": line.requested_delivery_date,
                },
            )
        super().__init__(*args, **kwargs)
        self.line = line
        allowed = allowed_terms(user)
        locked = set()
        if Term.PRICE not in allowed:
            locked.add("unit_price")
        if Term.DISCOUNT not in allowed:
            locked.add("discount_percent")
        self._lock(locked)

    def clean(self):
        data = super().clean()
        for name in ("quantity", "unit_price", "discount_percent"):
            if (
                self.add_prefix(name) in self.data
                and data.get(name) is None
                and name not in self.errors
            ):
                self.add_error(name, _("Enter a number."))
        return data

    def posted_changes(self) -> dict[str, Any]:
        """The fields this request carries (an inline edit sends one field)."""
        return {
            name: self.cleaned_data.get(name)
            for name in ("quantity", "unit_price", "discount_percent", "requested_delivery_date")
            if self.add_prefix(name) in self.data and name not in self.absent
        }

    def changed_values(self) -> dict[str, Any]:
        """The fields whose value differs from the line's (the amendment form sends them all)."""
        line = self.line
        out = {}
        for name, value in self.posted_changes().items():
            current = (
                line.manual_discount_percent if name == "discount_percent" else getattr(line, name)
            )
            if value != current:
                out[name] = value
        return out


class ScheduleForm(forms.Form):
    """A line's delivery schedule as posted rows of date and quantity (blank rows ignored)."""

    def __init__(self, data):
        super().__init__(data)
        self.rows = list(
            zip(data.getlist("schedule_date"), data.getlist("schedule_quantity"), strict=False)
        )

    def clean(self):
        data = super().clean()
        date_field = forms.DateField()
        qty_field = forms.DecimalField(localize=True)
        entries = []
        for day, quantity in self.rows:
            if not (str(day).strip() or str(quantity).strip()):
                continue
            try:
                entries.append((date_field.clean(day), qty_field.clean(quantity)))
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("Each schedule row needs a date and a quantity."), code="schedule_row"
                ) from None
        data["schedule"] = entries
        return data


# --- actions ----------------------------------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("Reason"),
        queryset=CancellationReason.objects.filter(active=True),
        empty_label=_("— choose a reason —"),
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AmendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the amendment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TemplateSaveForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=128, required=False)
    shared = forms.BooleanField(label=_("Share with everyone"), required=False)


class TemplateUseForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), empty_label=_("— choose —")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = sellable_customers(user)
        self.fields["customer"].error_messages["invalid_choice"] = _(
            "Choose one of your customers."
        )
