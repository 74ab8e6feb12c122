"""Order templates and copies: an order in one step from saved lines and terms."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from orderdesk.audit.services import record
from orderdesk.core.errors import NotFound, PermissionRefused, ValidationFailed
from orderdesk.core.roles import is_admin

from ..models import Order, OrderTemplate, OrderTemplateLine
from ..permissions import can_manage_templates
from . import _common as c
from .entry import order_create

TEMPLATE_TERMS = ("payment_terms", "payment_method", "delivery_method")


def template_scope(user) -> Q:
    if is_admin(user):
        return Q()
    return Q(owner=user) | Q(shared=True)


def template_get(*, user, pk: Any) -> OrderTemplate:
    try:
        return OrderTemplate.objects.filter(template_scope(user)).get(pk=pk)
    except (OrderTemplate.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such template."), code="template_not_found") from None


def _check_owner(by, template: OrderTemplate) -> None:
    if template.owner_id != by.pk and not is_admin(by):
        raise PermissionRefused(
            _("Only the owner changes a template."), code="template_not_permitted"
        )


@transaction.atomic
def template_save(
    *,
    by,
    name: str,
    lines: list[c.LineInput],
    template: OrderTemplate | None = None,
    shared: bool = False,
    **terms: Any,
) -> OrderTemplate:
    """Create or replace a template: a name, lines (product, quantity, discount) and optional terms."""
    if not can_manage_templates(by):
        raise PermissionRefused(
            _("You may not keep order templates."), code="template_not_permitted"
        )
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("A template needs a name."), code="template_name_required", fields={"name": None}
        )
    if not lines:
        raise ValidationFailed(_("A template needs at least one line."), code="template_empty")
    unknown = set(terms) - set(TEMPLATE_TERMS) - {"partial_shipment_allowed", "comment"}
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    products = c.resolve_products([li.product for li in lines])
    checked = [
        (
            product,
            c.check_quantity(li.quantity, f"lines[{i}].quantity"),
            c.check_discount(li.discount_percent or 0, f"lines[{i}].discount_percent"),
        )
        for i, (li, product) in enumerate(zip(lines, products, strict=True))
    ]
    values = {k: c.resolve(k, v) for k, v in terms.items() if k in TEMPLATE_TERMS}
    if template is None:
        template = OrderTemplate(owner=by)
        action = "orders.template.created"
    else:
        template = OrderTemplate.objects.select_for_update().get(pk=template.pk)
        _check_owner(by, template)
        action = "orders.template.changed"
    template.name, template.shared = name, bool(shared)
    for k, v in values.items():
        setattr(template, k, v)
    template.partial_shipment_allowed = bool(terms.get("partial_shipment_allowed", True))
    template.comment = terms.get("comment", "") or ""
    template.save()
    template.lines.all().delete()
    OrderTemplateLine.objects.bulk_create(
        [
            OrderTemplateLine(
                template=template, position=i, product=p, quantity=q, discount_percent=d
            )
            for i, (p, q, d) in enumerate(checked, start=1)
        ]
    )
    record(
        action=action,
        obj=template,
        by=by,
        data={"name": name, "lines": [[p.sku, q, d] for p, q, d in checked]},
    )
    return template


def template_from_order(*, by, order: Order, name: str, shared: bool = False) -> OrderTemplate:
    """Save an order's lines as a template, with the terms the order set apart from its contract.

    Terms the order took from its contract are not stored: a template made from a standard
    order then fits any customer, whose own contract fills them. A deliberate deviation (say,
    prepayment instead of the contract's deferral) stays in the template and applies under the
    rights of whoever uses it.
    """
    lines = [
        c.LineInput(
            # the manual part: automatic discounts are given again by the policies
            product=li.product_id,
            quantity=li.quantity,
            discount_percent=li.manual_discount_percent,
        )
        for li in order.lines.all()
    ]
    contract = order.contract
    terms = {
        k: getattr(order, f"{k}_id")
        for k in TEMPLATE_TERMS
        if contract is None or getattr(order, f"{k}_id") != getattr(contract, f"{k}_id")
    }
    return template_save(
        by=by,
        name=name,
        lines=lines,
        shared=shared,
        partial_shipment_allowed=order.partial_shipment_allowed,
        **terms,
    )


@transaction.atomic
def template_delete(*, by, template: OrderTemplate) -> None:
    _check_owner(by, template)
    record(action="orders.template.deleted", obj=template, by=by, data={"name": template.name})
    template.delete()


def order_create_from_template(
    *, by, template: OrderTemplate, customer: Any, contract: Any = None, **header: Any
) -> Order:
    """A new draft for `customer` with the template's lines; its terms apply under the user's rights."""
    terms = {
        k: getattr(template, f"{k}_id") for k in TEMPLATE_TERMS if getattr(template, f"{k}_id")
    }
    terms.update(partial_shipment_allowed=template.partial_shipment_allowed)
    if template.comment:
        terms["comment"] = template.comment
    lines = [
        c.LineInput(
            product=li.product_id,
            quantity=li.quantity,
            discount_percent=li.discount_percent or None,
        )
        for li in template.lines.all()
    ]
    return order_create(
        by=by,
        customer=customer,
        contract=contract,
        lines=lines,
        event_data={"template": template.name},
        **{**terms, **header},
    )


def order_copy(*, by, order: Order, customer: Any = None, **header: Any) -> Order:
    """A new draft with the same lines and terms at today's standard prices; a hand-entered
    price is kept, under the user's right to set prices. For the same customer the contract,
    address, partial-shipment choice and order-level discount come along too (a discount above
    the cap is a deviation again, as on entry)."""
    same_customer = customer is None or str(getattr(customer, "pk", customer)) == str(
        order.customer_id
    )
    lines = []
    for li in order.lines.all():
        manual = li.list_price is None or li.unit_price != li.list_price
        lines.append(
            c.LineInput(
                product=li.product_id,
                quantity=li.quantity,
                unit_price=li.unit_price if manual else None,
                discount_percent=li.manual_discount_percent or None,
            )
        )
    terms: dict[str, Any] = {}
    if same_customer:
        terms = {
            "contract": order.contract_id,
            "delivery_address": order.delivery_address,
            "partial_shipment_allowed": order.partial_shipment_allowed,
            "customer_reference": "",
        }
        if order.discount_percent:  # the order-level discount agreed with this customer
            terms["discount_percent"] = order.discount_percent
    return order_create(
        by=by,
        customer=customer or order.customer_id,
        lines=lines,
        event_data={"copied_from": order.number},
        **{**terms, **header},
    )
