"""Catalogue writes: products and warehouses always come with their stock balance rows."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from orderdesk.audit.services import diff, record, snapshot
from orderdesk.core.errors import ValidationFailed

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


def _check_product(product: Product) -> None:
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
    cost_currency: str = "UAH",
    group: ProductGroup | None = None,
    active: bool = True,
) -> Product:
    """Create a product and its balance row in every warehouse. Raises `sku_taken`."""
    if Product.objects.filter(sku=sku).exists():
        raise ValidationFailed(
            _("SKU %(sku)s is already used.") % {"sku": sku}, code="sku_taken", fields={"sku": sku}
        )
    product = Product(
        sku=sku,
        name=name,
        unit=unit,
        vat_rate=vat_rate,
        cost_price=cost_price,
        cost_currency_id=cost_currency,
        group=group,
        active=active,
    )
    _check_product(product)
    product.save()
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
    """Change a product; its orders keep the prices and VAT they copied."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = snapshot(product, PRODUCT_FIELDS)
    for key, value in changes.items():
        if key not in PRODUCT_FIELDS:
            raise ValidationFailed(_("Unknown field %(f)s.") % {"f": key}, code="unknown_field")
        setattr(product, key, value)
    _check_product(product)
    product.save()
    delta = diff(before, snapshot(product, PRODUCT_FIELDS))
    if delta:
        record(action="catalog.product.changed", obj=product, by=by, changes=delta)
    return product


@transaction.atomic
def warehouse_create(*, by, code: str, name: str, address: str = "") -> Warehouse:
    """Create a warehouse and its balance row for every product."""
    if Warehouse.objects.filter(code=code).exists():
        raise ValidationFailed(
            _("Warehouse code %(c)s is already used.") % {"c": code},
            code="warehouse_code_taken",
            fields={"code": code},
        )
    warehouse = Warehouse.objects.create(code=code, name=name, address=address)
    StockBalance.objects.bulk_create(
        [
            StockBalance(product_id=pk, warehouse=warehouse)
            for pk in Product.objects.values_list("pk", flat=True).iterator(chunk_size=5000)
        ],
        batch_size=5000,
    )
    record(action="catalog.warehouse.created", obj=warehouse, by=by)
    return warehouse


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
