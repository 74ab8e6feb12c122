"""Demo master data: users and the sales team, warehouses and the catalogue with stock,
daily exchange rates, and the three price lists."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from orderdesk.catalog.models import Product, ProductGroup, StockBalance
from orderdesk.catalog.services import product_create, warehouse_create
from orderdesk.core.models import ExchangeRate
from orderdesk.customers.models import CustomerGroup, SalesTeam
from orderdesk.pricing.models import PriceList, PriceListItem

from . import data
from . import identifiers as ids
from .world import CENT, PRICE_RISE_DAYS, PRICE_START_DAYS, RATE_DAYS, World


def load_users(world: World) -> None:
    User = get_user_model()
    # one hash for the one demo password: the hasher's work is spent once, not per user
    hashed = make_password(data.PASSWORD)
    for username, first, last, role, hint in data.USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{ids.translit(first)[0]}.{ids.translit(last)}@orderdesk.example",
            )
            user.password = hashed
        else:
            world.summary.kept_passwords.append(username)
        if role == "administrator":
            user.is_staff = user.is_superuser = True
        user.save()
        user.groups.add(Group.objects.get(name=role))
        world.users[username] = user
        world.summary.logins.append((username, role, hint))
    name, head, members = data.TEAM
    team, _created = SalesTeam.objects.get_or_create(
        name=name, defaults={"head": world.users[head]}
    )
    team.members.add(*(world.users[m] for m in members))


def load_catalogue(world: World) -> None:
    admin = world.users["admin"]
    for code, name, address in data.WAREHOUSES:
        world.warehouses[code] = warehouse_create(by=admin, code=code, name=name, address=address)
    groups: dict[str, ProductGroup] = {}
    prefixes: dict[str, str] = {}
    for code, name, parent, prefix, _markup in data.PRODUCT_GROUPS:
        groups[code] = ProductGroup.objects.create(
            code=code, name=name, parent=groups.get(parent) if parent else None
        )
        if prefix:
            prefixes[code] = prefix
    serial: Counter[str] = Counter()
    for family in data.FAMILIES:
        for variant, cost in family.variants:
            name = family.name.format(variant) if variant is not None else family.name
            prefix = prefixes[family.group]
            serial[prefix] += 1
            product = product_create(
                by=admin,
                sku=f"{prefix}-{serial[prefix]:03d}",
                name=name,
                unit=family.unit,
                vat_rate=Decimal(family.vat),
                cost_price=Decimal(str(cost)).quantize(CENT),
                group=groups[family.group],
                active=name not in data.INACTIVE_PRODUCTS,
            )
            world.products[name] = product
            world.group_of[product.pk] = family.group
    _stock(world)


def _stock(world: World) -> None:
    rng = world.rng
    balances = list(
        StockBalance.objects.select_related("product", "warehouse").order_by("product", "warehouse")
    )
    for balance in balances:
        product = balance.product
        if world.group_of[product.pk] == "SRV" or rng.random() < 0.08:
            continue
        worth = rng.uniform(15000, 120000) * (1.0 if balance.warehouse.code == "KYIV" else 0.5)
        balance.on_hand = nice_quantity(worth / float(product.cost_price), product.unit)
    StockBalance.objects.bulk_update(balances, ["on_hand"], batch_size=500)


def load_rates(world: World) -> None:
    """NBU-like daily rates: a random walk pinned to plausible values at both ends; the rate
    set on Friday also holds on Saturday and Sunday, as the NBU publishes it."""
    start = world.today - dt.timedelta(days=RATE_DAYS - 1)
    existing = set(ExchangeRate.objects.values_list("currency_id", "date"))
    rows = []
    for currency, (first, last) in data.RATES.items():
        sd = data.RATE_DAILY_SD[currency]
        walk = [0.0]
        for _ in range(RATE_DAYS - 1):
            walk.append(walk[-1] + world.rng.gauss(0, sd))
        drift = math.log(float(last) / float(first))
        rate = None
        for i in range(RATE_DAYS):
            day = start + dt.timedelta(days=i)
            t = i / (RATE_DAYS - 1)
            if rate is None or day.weekday() < 5:
                bridge = walk[i] - t * walk[-1]
                rate = Decimal(float(first) * math.exp(bridge + t * drift)).quantize(
                    Decimal("0.0001")
                )
            if (currency, day) not in existing:
                rows.append(ExchangeRate(currency_id=currency, date=day, rate=rate, units=1))
    ExchangeRate.objects.bulk_create(rows, batch_size=1000)
    world.eur_at_start = ExchangeRate.objects.get(
        currency_id="EUR", date=world.today - dt.timedelta(days=PRICE_START_DAYS)
    ).rate


def load_prices(world: World) -> None:
    rng = world.rng
    groups = {g.code: g for g in CustomerGroup.objects.all()}
    for code, name in data.CUSTOMER_GROUPS:
        if code not in groups:
            groups[code] = CustomerGroup.objects.create(code=code, name=name)
    world.customer_groups = groups
    lists: dict[str, PriceList] = {}
    for code, name, currency, with_vat, for_groups in data.PRICE_LISTS:
        lists[code] = PriceList.objects.create(
            code=code, name=name, currency_id=currency, prices_include_vat=with_vat
        )
        lists[code].customer_groups.set([groups[g] for g in for_groups])
    world.price_lists = lists
    markups = {code: m for code, _n, _p, _s, m in data.PRODUCT_GROUPS if m}
    start = world.today - dt.timedelta(days=PRICE_START_DAYS)
    rise = world.today - dt.timedelta(days=PRICE_RISE_DAYS)
    items: list[PriceListItem] = []
    for product in world.products.values():
        group = world.group_of[product.pk]
        low, high = markups[group]
        wholesale = (product.cost_price * Decimal(str(rng.uniform(low, high)))).quantize(CENT)
        retail = retail_price(wholesale * Decimal("1.28"), product.vat_rate)
        export = wholesale * Decimal("1.03") / world.eur_at_start
        # cheap goods (a kilo of sand) in hundredths of a cent: rounded to the cent, 0.013
        # EUR became 0.01, below the cost, and the head's own order below the price floor
        # had nobody to approve it (approval_no_approver stopped the demo)
        export = export.quantize(CENT if export >= 1 else Decimal("0.0001"))
        breaks = _breaks(world, product, group)
        periods = [(start, None, Decimal(1))]
        if group in ("FRB", "BM-SUM"):
            periods = [
                (start, rise - dt.timedelta(days=1), Decimal(1)),
                (rise, None, Decimal("1.05")),
            ]
        for valid_from, valid_to, factor in periods:
            base = (wholesale * factor).quantize(CENT)
            for min_qty, off in [(Decimal(0), Decimal(0)), *breaks]:
                items.append(
                    PriceListItem(
                        price_list=lists["WHOLESALE"],
                        product=product,
                        price=(base * (1 - off / 100)).quantize(CENT),
                        min_quantity=min_qty,
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
            items.append(
                PriceListItem(
                    price_list=lists["RETAIL"],
                    product=product,
                    price=retail if factor == 1 else retail_price(retail * factor, 0),
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )
        items.append(
            PriceListItem(
                price_list=lists["EXPORT_EUR"], product=product, price=export, valid_from=start
            )
        )
    PriceListItem.objects.bulk_create(items, batch_size=1000)


def _breaks(world: World, product: Product, group: str) -> list[tuple[Decimal, Decimal]]:
    """Quantity breaks for some commodity goods: (from quantity, % off the list price)."""
    if group not in ("KRP", "BM-CEM", "BM-SUM", "BM-GKL") or world.rng.random() > 0.35:
        return []
    first = {"шт": 50, "уп": 20, "кг": 1000, "м": 500}[product.unit]
    breaks = [(Decimal(first), Decimal(3))]
    if world.rng.random() < 0.4:
        breaks.append((Decimal(first * 4), Decimal(6)))
    return breaks


def nice_quantity(raw: float, unit: str) -> Decimal:
    """A quantity a person would order: whole units, rounded to 1-2 significant figures."""
    minimum = {"кг": 5, "м": 10}.get(unit, 1)
    value = max(raw, minimum)
    if value < 10:
        step = 1
    elif value < 50:
        step = 5
    elif value < 200:
        step = 10
    elif value < 1000:
        step = 50
    elif value < 5000:
        step = 100
    else:
        step = 500
    return Decimal(max(minimum, round(value / step) * step))


def retail_price(net: Decimal, vat_rate: Decimal | int) -> Decimal:
    """A shelf price with VAT: above 20 UAH it ends in .90, like a shop's price tag."""
    gross = net * (1 + Decimal(vat_rate) / 100)
    if gross > 20:
        return Decimal(math.ceil(gross)) - Decimal("0.10")
    return gross.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).quantize(CENT)
