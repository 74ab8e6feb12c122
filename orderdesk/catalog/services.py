"""Catalogue writes: products and warehouses always come with their stock balance rows."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from orderdesk.audit.services import diff, record, snapshot
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.core.models import Currency
from orderdesk.core.roles import Role, has_role
from orderdesk.core.services import currency_get

from .models import Product, ProductGroup, StockBalance, Warehouse

PRODUCT_FIELDS = [
    "sku",
    "name",
    "unit",
    "vat_rate",
    "cost_price",
    "cost_currency",
    "group",
    "active",
]


GROUP_FIELDS = ["code", "name", "parent"]
WAREHOUSE_FIELDS = ["code", "name", "address", "active"]


def _require_admin(by) -> None:
    """The catalogue is the administrator's (`by=None` is the system); `master_data_forbidden`."""
    if by is not None and not has_role(by, Role.ADMINISTRATOR):
        raise PermissionRefused(
            _("Only an administrator may change the catalogue."), code="master_data_forbidden"
        )


def _clean_text(obj, names: list[str], required: tuple[str, ...] = ()) -> None:
    """Strip text fields; empty required -> `<field>_required`, too long -> `value_too_long`."""
    for name in names:
        field = obj._meta.get_field(name)
        value = (getattr(obj, name) or "").strip()
        setattr(obj, name, value)
        if name in required and not value:
            raise ValidationFailed(
                _("“%(f)s” is required.") % {"f": field.verbose_name},
                code=f"{name}_required",
                fields={name: value},
            )
        if field.max_length and len(value) > field.max_length:
            raise ValidationFailed(
                _("“%(f)s” allows at most %(n)s characters.")
                % {"f": field.verbose_name, "n": field.max_length},
                code="value_too_long",
                fields={name: value[:40]},
            )


def _save_unique(obj, *, code: str, field: str) -> None:
    """Save; a unique value taken meanwhile by a concurrent writer is `code`, not a 500."""
    value = getattr(obj, field)
    taken = ValidationFailed(
        _("“%(v)s” is already used.") % {"v": value}, code=code, fields={field: value}
    )
    if type(obj).objects.filter(**{field: value}).exclude(pk=obj.pk).exists():
        raise taken
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise taken from None


def _check_product(product: Product) -> None:
    _clean_text(product, ["sku", "name", "unit"], required=("sku", "name", "unit"))
    if not (Decimal(0) <= product.vat_rate <= Decimal(100)):
        raise ValidationFailed(
            _("VAT rate must be between 0 and 100."),
            code="vat_rate_invalid",
            fields={"vat_rate": str(product.vat_rate)},
        )
    if product.cost_price < 0:
        raise ValidationFailed(
            _("Cost price cannot be negative."),
            code="cost_price_negative",
            fields={"cost_price": str(product.cost_price)},
        )


@transaction.atomic
def product_create(
    *,
    by,
    sku: str,
    name: str,
    unit: str = "шт",
    vat_rate: Decimal = Decimal("20"),
    cost_price: Decimal = Decimal("0"),
    cost_currency: str | Currency = "UAH",
    group: ProductGroup | None = None,
    active: bool = True,
) -> Product:
    """Create a product and its balance row in every warehouse (administrator).

    Raises `master_data_forbidden`, `sku_taken`, `sku_required`, `name_required`,
    `vat_rate_invalid`, `cost_price_negative`, `currency_unknown`.
    """
    _require_admin(by)
    currency = cost_currency if isinstance(cost_currency, Currency) else currency_get(cost_currency)
    product = Product(
        sku=sku,
        name=name,
        unit=unit,
        vat_rate=vat_rate,
        cost_price=cost_price,
        cost_currency=currency,
        group=group,
        active=active,
    )
    _check_product(product)
    _save_unique(product, code="sku_taken", field="sku")
    StockBalance.objects.bulk_create(
        [StockBalance(product=product, warehouse=w) for w in Warehouse.objects.all()]
    )
    record(
        action="catalog.product.created",
        obj=product,
        by=by,
        changes=diff({}, snapshot(product, PRODUCT_FIELDS)),
    )
    return product


@transaction.atomic
def product_update(*, by, product: Product, **changes) -> Product:
    """Change a product (administrator); its orders keep the prices and VAT they copied.

    Raises `master_data_forbidden`, `unknown_field` and the checks of product_create.
    """
    _require_admin(by)
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = snapshot(product, PRODUCT_FIELDS)
    for key, value in changes.items():
        if key not in PRODUCT_FIELDS:
            raise ValidationFailed(_("Unknown field %(f)s.") % {"f": key}, code="unknown_field")
        if key == "cost_currency" and not isinstance(value, Currency):
            value = currency_get(value)
        setattr(product, key, value)
    _check_product(product)
    _save_unique(product, code="sku_taken", field="sku")
    delta = diff(before, snapshot(product, PRODUCT_FIELDS))
    if delta:
        record(action="catalog.product.changed", obj=product, by=by, changes=delta)
    return product


@transaction.atomic
def warehouse_create(
    *, by, code: str, name: str, address: str = "", active: bool = True
) -> Warehouse:
    """Create a warehouse and its balance row for every product (administrator).

    Raises `master_data_forbidden`, `warehouse_code_taken`, `code_required`, `name_required`.
    """
    _require_admin(by)
    warehouse = Warehouse(code=code, name=name, address=address, active=active)
    _clean_text(warehouse, ["code", "name", "address"], required=("code", "name"))
    _save_unique(warehouse, code="warehouse_code_taken", field="code")
    StockBalance.objects.bulk_create(
        [
            StockBalance(product_id=pk, warehouse=warehouse)
            for pk in Product.objects.values_list("pk", flat=True).iterator(chunk_size=5000)
        ],
        batch_size=5000,
    )
    record(
        action="catalog.warehouse.created",
        obj=warehouse,
        by=by,
        changes=diff({}, snapshot(warehouse, WAREHOUSE_FIELDS)),
    )
    return warehouse


@transaction.atomic
def warehouse_update(*, by, warehouse: Warehouse, **changes) -> Warehouse:
    """Rename, move or (de)activate a warehouse (administrator); same errors as create."""
    _require_admin(by)
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    before = snapshot(warehouse, WAREHOUSE_FIELDS)
    _apply(warehouse, changes, WAREHOUSE_FIELDS)
    _clean_text(warehouse, ["code", "name", "address"], required=("code", "name"))
    _save_unique(warehouse, code="warehouse_code_taken", field="code")
    delta = diff(before, snapshot(warehouse, WAREHOUSE_FIELDS))
    if delta:
        record(action="catalog.warehouse.changed", obj=warehouse, by=by, changes=delta)
    return warehouse


def _apply(obj, changes: dict, allowed: list[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(f)s.") % {"f": ", ".join(unknown)},
            code="unknown_field",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    for key, value in changes.items():
        setattr(obj, key, value)


def _check_group(group: ProductGroup) -> None:
    _clean_text(group, ["code", "name"], required=("code", "name"))
    parent, seen = group.parent, set()
    while parent is not None and group.pk is not None:
        if parent.pk == group.pk or parent.pk in seen:
            raise ValidationFailed(
                _("A group cannot be inside itself."),
                code="product_group_cycle",
                fields={"parent": group.parent_id},
            )
        seen.add(parent.pk)
        parent = parent.parent


@transaction.atomic
def product_group_create(
    *, by, code: str, name: str, parent: ProductGroup | None = None
) -> ProductGroup:
    """Create a product group (administrator). Raises `master_data_forbidden`, `code_taken`."""
    _require_admin(by)
    group = ProductGroup(code=code, name=name, parent=parent)
    _check_group(group)
    _save_unique(group, code="code_taken", field="code")
    record(
        action="catalog.productgroup.created",
        obj=group,
        by=by,
        changes=diff({}, snapshot(group, GROUP_FIELDS)),
    )
    return group


@transaction.atomic
def product_group_update(*, by, group: ProductGroup, **changes) -> ProductGroup:
    """Change a product group (administrator); a group inside itself is `product_group_cycle`."""
    _require_admin(by)
    group = ProductGroup.objects.select_for_update().get(pk=group.pk)
    before = snapshot(group, GROUP_FIELDS)
    _apply(group, changes, GROUP_FIELDS)
    _check_group(group)
    _save_unique(group, code="code_taken", field="code")
    delta = diff(before, snapshot(group, GROUP_FIELDS))
    if delta:
        record(action="catalog.productgroup.changed", obj=group, by=by, changes=delta)
    return group


def product_get_active(pk) -> Product:
    """The product `pk` if it exists and is active; raises `product_unknown` / `product_inactive`."""
    try:
        product = Product.objects.get(pk=pk)
    except (Product.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(
            _("Unknown product %(pk)s.") % {"pk": pk},
            code="product_unknown",
            fields={"product": pk},
        ) from None
    if not product.active:
        raise ValidationFailed(
            _("Product %(p)s is not active.") % {"p": product},
            code="product_inactive",
            fields={"product": pk},
        )
    return product
