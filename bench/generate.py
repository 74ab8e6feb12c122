"""Bench data generator: a realistic order book of any size, loaded in bulk.

What it makes, for a `Scale` (orders drive the rest):

- sales managers and heads (auth users with their role groups) and sales teams;
- warehouses, product groups, products with a StockBalance row per warehouse;
- price lists (wholesale UAH, retail UAH with VAT, export EUR) with price history and quantity
  breaks, daily EUR/USD exchange rates;
- customers (Ukrainian names, ЄДРПОУ/ІПН) with a default contract, some with an old one;
- orders over the last two years with 1-20 lines (mean ~5.6), Pareto-distributed customer
  activity (a fifth of the customers place most orders), Zipf product popularity, statuses by
  age (old orders closed or cancelled, recent ones drafts or confirmed), shipped quantities;
- the audit events the services would have written (created, one per line, confirmed /
  cancelled / closed), hash-chained per order stream so `verify_chain` holds.

Numbers are gap-free per year and the `orders.order` number series is advanced, so services
called afterwards continue the series. Loading is COPY on PostgreSQL (psycopg `cursor.copy`,
chunks in parallel worker processes) and executemany on SQLite. Everything is reproducible
from the seed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import multiprocessing as mp
import random
import time
from array import array
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.db.models import CharField, Count, Exists, Max, Min, OuterRef, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from orderdesk.audit.models import Event
from orderdesk.audit.services import GENESIS, event_hash, hash_payload, jsonable
from orderdesk.catalog.models import Product, StockBalance, Warehouse
from orderdesk.core.models import NumberSeries
from orderdesk.orders import calculations as calc
from orderdesk.orders import explain
from orderdesk.orders.models import CancellationReason, Order, OrderLine
from orderdesk.orders.services._common import HEADER_SNAPSHOT, LINE_SNAPSHOT
from orderdesk.pricing import sources as price_sources

from . import reference as ref
from .loading import Loader, dec, next_id, reset_sequences
from .reference import CustomerInfo, PriceListInfo
from .scales import Scale

SERIES_KEY = "orders.order"  # the key order_number() takes numbers from
CHUNK_ORDERS = 10_000
KYIV = dt.timezone(dt.timedelta(hours=2))  # fixed offset is enough for made-up times of day
UTC = dt.UTC
D0 = Decimal(0)
PRICE_EXP = Decimal("0.0001")

# 1..20 lines, P(n) ~ 1/n: mean ~5.6, a third of the orders have one or two lines.
LINE_COUNTS = list(range(1, 21))
LINE_CUM = list(accumulate(1 / n for n in LINE_COUNTS))
QUANTITIES = [Decimal(q) for q in (1, 2, 3, 4, 5, 6, 10, 12, 20, 24, 25, 50, 100, 200)]
QUANTITY_CUM = list(accumulate([18, 16, 10, 6, 9, 5, 10, 5, 6, 3, 3, 4, 3, 2]))
DISCOUNTS = [D0] * 16 + [Decimal(d) for d in (2, 3, 5, 5, 7, 10)]


@dataclass
class World:
    """Everything the order chunks need, built once in the parent (fork-inherited)."""

    seed: int
    today: dt.date
    now: dt.datetime
    prefix: str
    base_currency: str
    fast: bool
    customers: list[CustomerInfo]
    customer_cum: list[float]
    price_lists: dict[int, PriceListInfo]
    products: dict[int, tuple[str, str, str, Decimal, Decimal]]  # label, name, unit, vat, cost
    rates: dict[str, dict[dt.date, Decimal]]
    actors: dict[int, str]
    reasons: list[tuple[int, str, str, bool]]
    source_cache: dict = field(default_factory=dict)
    # the order plan
    first_order_id: int = 0
    dates: array = field(default_factory=lambda: array("l"))
    numbers: array = field(default_factory=lambda: array("l"))
    nlines: array = field(default_factory=lambda: array("b"))


# --- the order plan --------------------------------------------------------------------------


def _plan(world: World, scale: Scale, rng: random.Random) -> dict[int, int]:
    """Dates, numbers and line counts of every order, ascending by date; returns the
    last number taken per year (what the series must show afterwards)."""
    n = scale.orders
    days = [world.today - dt.timedelta(days=i) for i in range(scale.days - 1, -1, -1)]
    # growth over the period, quiet weekends
    weights = [
        (1 + 0.6 * i / len(days)) * (0.12 if d.weekday() >= 5 else 1) for i, d in enumerate(days)
    ]
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    rest = n - sum(counts)
    for i in sorted(range(len(days)), key=lambda i: exact[i] - counts[i], reverse=True)[:rest]:
        counts[i] += 1
    series = dict(NumberSeries.objects.filter(key=SERIES_KEY).values_list("year", "last_value"))
    dates, numbers = array("l"), array("l")
    for day, count in zip(days, counts, strict=True):
        if not count:
            continue
        start = series.get(day.year, 0)
        dates.extend([day.toordinal()] * count)
        numbers.extend(range(start + 1, start + count + 1))
        series[day.year] = start + count
    world.dates, world.numbers = dates, numbers
    world.nlines = array("b", rng.choices(LINE_COUNTS, cum_weights=LINE_CUM, k=n))
    return series


# --- one chunk of orders ---------------------------------------------------------------------

ORDER_COLS = (
    "id", "number", "status", "fulfillment_status", "payment_status", "order_date",
    "requested_delivery_date", "customer_reference", "exchange_rate", "delivery_terms",
    "delivery_address", "partial_shipment_allowed", "comment", "net_amount", "vat_amount",
    "gross_amount", "base_net_amount", "base_vat_amount", "base_gross_amount", "revision",
    "created_at", "updated_at", "confirmed_at", "cancelled_at", "cancel_comment", "closed_at",
    "cancel_reason_id", "contract_id", "created_by_id", "currency_id", "customer_id",
    "delivery_method_id", "last_changed_by_id", "manager_id", "payment_method_id",
    "payment_terms_id", "price_list_id", "warehouse_id",
)  # fmt: skip
LINE_COLS = (
    "id", "order_id", "position", "product_id", "description", "unit", "quantity", "unit_price",
    "list_price", "price_origin", "discount_percent", "vat_rate", "net_amount", "vat_amount",
    "gross_amount", "cost_price", "requested_delivery_date", "cancelled_quantity",
    "shipped_quantity",
)  # fmt: skip
# the manual part of a line discount, where the model splits discounts into parts
MANUAL_DISCOUNT = any(f.name == "manual_discount_percent" for f in OrderLine._meta.fields)
if MANUAL_DISCOUNT:  # with its breakdown, which explains the discount on the card
    LINE_COLS = (*LINE_COLS, "manual_discount_percent", "discount_breakdown")
_SNAPSHOT_DEFAULTS: dict[tuple[str, str], Any] = {}


def _breakdown(manual: Decimal) -> dict[str, Any]:
    """`OrderLine.discount_breakdown` of a line whose only discount is its manual part."""
    percent = explain.pct(manual)
    return {
        "auto": [],
        "auto_percent": "0",
        "manual_percent": percent,
        "order_percent": "0",
        "total_percent": percent,
    }


@functools.cache
def _breakdown_json(manual: Decimal) -> str:
    return json.dumps(_breakdown(manual))


def _created_changes(model, fields: list[str], known: dict[str, Any]) -> dict[str, Any]:
    """diff({}, snapshot(obj, fields)) as the services record a new object; a field the
    generator does not set takes the model default, as the database row does."""
    changes = {}
    for name in fields:
        if name in known:
            value = known[name]
        else:
            key = (model._meta.label, name)
            if key not in _SNAPSHOT_DEFAULTS:
                f = model._meta.get_field(name)
                _SNAPSHOT_DEFAULTS[key] = jsonable(f.get_default())
            value = _SNAPSHOT_DEFAULTS[key]
        if value is not None:
            changes[name] = {"from": None, "to": value}
    return changes


EVENT_COLS = (
    "stream", "seq", "action", "object_type", "object_id", "object_repr", "actor_id",
    "actor_name", "occurred_at", "changes", "data", "prev_hash", "hash",
)  # fmt: skip

_WORLD: World | None = None


# (share, value) tables: what becomes of an order, by its age in days
STATUS_BY_AGE = [
    (60, [(0.72, "closed"), (0.16, "confirmed"), (0.10, "cancelled"), (0.02, "draft")]),
    (14, [(0.65, "confirmed"), (0.20, "closed"), (0.08, "cancelled"), (0.07, "draft")]),
    (-1, [(0.25, "draft"), (0.68, "confirmed"), (0.05, "cancelled"), (0.02, "closed")]),
]
FULFILLMENT_OLD = [
    (0.5, "shipped"),
    (0.2, "partially_shipped"),
    (0.2, "released"),
    (0.1, "not_released"),
]
FULFILLMENT_NEW = [
    (0.5, "not_released"),
    (0.3, "released"),
    (0.1, "partially_shipped"),
    (0.1, "shipped"),
]
PAYMENT_SHIPPED = [(0.4, "paid"), (0.2, "partially_paid"), (0.25, "not_due"), (0.15, "overdue")]
PAYMENT_PREPAY = [(0.7, "prepayment_due"), (0.3, "partially_paid")]


def _pick(rng: random.Random, table: list[tuple[float, str]]) -> str:
    x = rng.random()
    for share, value in table:
        x -= share
        if x < 0:
            return value
    return table[-1][1]


def _status(rng: random.Random, age: int, prepayment: bool) -> tuple[str, str, str]:
    """(status, fulfillment, payment) for an order `age` days old."""
    table = next(t for limit, t in STATUS_BY_AGE if age > limit)
    status = _pick(rng, table)
    if status == "closed":
        return status, "shipped", "paid"
    if status != "confirmed":
        return status, "not_released", "not_due"
    ful = _pick(rng, FULFILLMENT_OLD if age > 14 else FULFILLMENT_NEW)
    if ful in ("shipped", "partially_shipped"):
        pay = _pick(rng, PAYMENT_SHIPPED)
    else:
        pay = _pick(rng, PAYMENT_PREPAY) if prepayment else "not_due"
    return status, ful, pay


def _quote(world: World, pl: PriceListInfo, pid: int, qty: Decimal, day: dt.date):
    """(price, origin) as pricing.services.quote_prices picks it (`pricing.sources`)."""
    for min_q, vf, vt, price in pl.items[pid]:
        if min_q <= qty and vf <= day and (vt is None or day <= vt):
            key = (pl.id, vf, min_q)
            source = world.source_cache.get(key)
            if source is None:
                source = price_sources.item(pl.name, vf, min_q)
                world.source_cache[key] = source
            if pl.includes_vat:
                vat = world.products[pid][3]
                price = calc.net_price(price, vat_rate=vat, includes_vat=True)
            return price, source
    return None, None


class _Chain:
    """Events of one order stream with seq and hash chain."""

    def __init__(self, rows: list, stream: str, actor: int, actor_name: str) -> None:
        self.rows, self.stream, self.actor, self.actor_name = rows, stream, actor, actor_name
        self.seq, self.prev = 0, GENESIS

    def add(self, action, object_type, object_id, repr_, at: dt.datetime, changes, data) -> None:
        self.seq += 1
        # hash_payload() reads attributes only; a plain namespace is 5x cheaper than a model
        event = SimpleNamespace(
            stream=self.stream,
            seq=self.seq,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=repr_[:200],
            actor_id=self.actor,
            actor_name=self.actor_name[:150],
            occurred_at=at,
            changes=changes,
            data=data,
        )
        # the project's own payload, so the chain verifies whatever fields it covers
        digest = event_hash(self.prev, hash_payload(event))
        self.rows.append(
            (
                self.stream,
                self.seq,
                action,
                object_type,
                object_id,
                event.object_repr,
                self.actor,
                event.actor_name,
                at,
                json.dumps(changes, ensure_ascii=False),
                json.dumps(data, ensure_ascii=False) if data else "{}",
                self.prev,
                digest,
            )
        )
        self.prev = digest


def _make_chunk(world: World, index: int, start: int, stop: int, first_line_id: int):
    rng = random.Random(world.seed * 1_000_003 + index)
    orders, lines, events = [], [], []
    line_id = first_line_id
    hand = price_sources.MANUAL
    cust_total = world.customer_cum[-1]
    today, now = world.today, world.now
    for k in range(start, stop):
        oid = world.first_order_id + k
        day = dt.date.fromordinal(world.dates[k])
        number = f"{world.prefix}-{day.year}-{world.numbers[k]:06d}"
        cust = world.customers[bisect.bisect(world.customer_cum, rng.random() * cust_total)]
        pl = world.price_lists[cust.price_list_id]
        n = world.nlines[k]
        chosen: list[int] = []
        while len(chosen) < n:
            for pid in rng.choices(pl.products, cum_weights=pl.cum, k=n + 2):
                if pid not in chosen:
                    chosen.append(pid)
                    if len(chosen) == n:
                        break
        age = (today - day).days
        status, ful, pay = _status(rng, age, cust.prepayment)
        created = dt.datetime.combine(day, dt.time(8), KYIV) + dt.timedelta(
            seconds=rng.randrange(11 * 3600), microseconds=rng.randrange(1_000_000)
        )
        created = min(created, now - dt.timedelta(seconds=1))
        confirmed_at = cancelled_at = closed_at = None
        reason_id, cancel_comment = None, ""
        was_confirmed = status in ("confirmed", "closed") or (
            status == "cancelled" and rng.random() < 0.5
        )
        if was_confirmed:
            confirmed_at = min(created + dt.timedelta(minutes=rng.randrange(1, 240)), now)
        if status == "cancelled":
            cancelled_at = min(
                (confirmed_at or created) + dt.timedelta(hours=rng.randrange(1, 72)), now
            )
            reason_id, code, reason_name, needs_text = rng.choice(world.reasons)
            cancel_comment = "Клієнт змінив постачальника" if needs_text else ""
        if status == "closed":
            closed_at = min(confirmed_at + dt.timedelta(days=rng.randrange(3, 45)), now)
        updated = max(t for t in (created, confirmed_at, cancelled_at, closed_at) if t)
        rate = _rate_on(world, cust.currency, day)
        requested = day + dt.timedelta(days=rng.randrange(1, 15)) if rng.random() < 0.5 else None
        reference = f"PO-{rng.randrange(10000, 99999)}" if rng.random() < 0.3 else ""
        partial = rng.random() < 0.9
        order_lines = []
        net = vat_sum = gross = D0
        shipped_upto = n if ful == "shipped" else (n + 1) // 2 if ful == "partially_shipped" else 0
        for pos, pid in enumerate(chosen, start=1):
            label, name, unit, vat, cost = world.products[pid]
            qty = rng.choices(QUANTITIES, cum_weights=QUANTITY_CUM)[0]
            list_price, source = _quote(world, pl, pid, qty, day)
            if rng.random() < 0.04:
                price = (list_price * Decimal("0.97")).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
                source = hand
            else:
                price = list_price
            discount = rng.choice(DISCOUNTS)
            amounts = calc.line_amounts(
                quantity=qty, unit_price=price, discount_percent=discount, vat_rate=vat,
                currency=cust.currency,
            )  # fmt: skip
            net, vat_sum, gross = net + amounts.net, vat_sum + amounts.vat, gross + amounts.gross
            shipped = qty if pos <= shipped_upto else D0
            lines.append((
                line_id, oid, pos, pid, name, unit, qty, price, list_price, json.dumps(source),
                discount, vat,
                amounts.net, amounts.vat, amounts.gross, cost, None, D0, shipped,
                *((discount, _breakdown_json(discount)) if MANUAL_DISCOUNT else ()),
            ))  # fmt: skip
            order_lines.append((line_id, pos, label, name, qty, price, list_price, source,
                                discount, vat, amounts))  # fmt: skip
            line_id += 1
        base = calc.to_base(
            calc.Amounts(net, vat_sum, gross), rate=rate, base_currency=world.base_currency
        )
        orders.append((
            oid, number, status, ful, pay, day, requested, reference, rate, cust.delivery_terms,
            cust.delivery_address, partial, "", net, vat_sum, gross, base.net, base.vat,
            base.gross, 0, created, updated, confirmed_at, cancelled_at, cancel_comment, closed_at,
            reason_id, cust.contract_id, cust.manager_id, cust.currency, cust.id,
            cust.delivery_method_id, cust.manager_id, cust.manager_id, cust.payment_method_id,
            cust.payment_terms_id, cust.price_list_id, cust.warehouse_id,
        ))  # fmt: skip
        # history as the services write it
        actor = cust.manager_id
        chain = _Chain(events, f"orders.order:{oid}", actor, world.actors[actor])
        header = {
            **cust.snapshot,
            "number": number,
            "order_date": day.isoformat(),
            "requested_delivery_date": requested.isoformat() if requested else None,
            "customer_reference": reference,
            "comment": "",
            "partial_shipment_allowed": partial,
            "exchange_rate": dec(rate),
            "net_amount": dec(net),
            "vat_amount": dec(vat_sum),
            "gross_amount": dec(gross),
        }
        chain.add(
            "orders.order.created", "orders.order", str(oid), number, created,
            _created_changes(Order, HEADER_SNAPSHOT, header),
            {},
        )  # fmt: skip
        for (
            lid,
            pos,
            label,
            name,
            qty,
            price,
            list_price,
            source,
            discount,
            vat,
            amounts,
        ) in order_lines:
            snap = {
                "product": label, "quantity": dec(qty), "unit_price": dec(price),
                "list_price": dec(list_price), "price_origin": source,
                "discount_percent": dec(discount), "vat_rate": dec(vat),
                "net_amount": dec(amounts.net), "vat_amount": dec(amounts.vat),
                "gross_amount": dec(amounts.gross), "requested_delivery_date": None,
            }  # fmt: skip
            if MANUAL_DISCOUNT:
                snap["manual_discount_percent"] = snap["discount_percent"]
                snap["discount_source"] = explain.discount_text(_breakdown(discount))
            else:
                snap["discount_source"] = ""
            changes = _created_changes(OrderLine, LINE_SNAPSHOT, snap)
            changes["schedule"] = {"from": None, "to": []}
            chain.add("orders.line.added", "orders.orderline", str(lid), f"{oid}/{pos} {name}",
                      created, changes, {})  # fmt: skip
        if was_confirmed:
            chain.add("orders.order.confirmed", "orders.order", str(oid), number, confirmed_at,
                      {"status": {"from": "draft", "to": "confirmed"}}, {})  # fmt: skip
        if status == "cancelled":
            chain.add(
                "orders.order.cancelled", "orders.order", str(oid), number, cancelled_at,
                {"status": {"from": "confirmed" if was_confirmed else "draft", "to": "cancelled"}},
                {"reason": code, "reason_name": reason_name, "comment": cancel_comment},
            )  # fmt: skip
        if status == "closed":
            chain.add("orders.order.closed", "orders.order", str(oid), number, closed_at,
                      {"status": {"from": "confirmed", "to": "closed"}}, {})  # fmt: skip
    return orders, lines, events


def _rate_on(world: World, currency: str, day: dt.date) -> Decimal:
    """core.services.rate_for() over the rates loaded in memory (latest not after `day`)."""
    if currency == world.base_currency:
        return Decimal(1)
    rates = world.rates[currency]
    for back in range(60):
        rate = rates.get(day - dt.timedelta(days=back))
        if rate is not None:
            return rate
    raise LookupError(f"no {currency} rate on or before {day}")


def _load_chunk(spec: tuple[int, int, int, int]) -> tuple[int, int, int, float]:
    index, start, stop, first_line_id = spec
    world = _WORLD
    t0 = time.perf_counter()
    orders, lines, events = _make_chunk(world, index, start, stop, first_line_id)
    t1 = time.perf_counter()
    loader = Loader()
    with transaction.atomic():
        if world.fast and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # bulk load: no FK triggers per row (the generator keeps references right;
                # bench/tests check them with the triggers on), no flush per chunk
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("SET LOCAL synchronous_commit = off")
        loader.load(Order, ORDER_COLS, orders)
        loader.load(OrderLine, LINE_COLS, lines)
        loader.load(Event, EVENT_COLS, events)
    return len(orders), len(lines), len(events), t1 - t0, time.perf_counter() - t1


BIG_TABLES = (Order._meta.db_table, OrderLine._meta.db_table, Event._meta.db_table)


def _drop_secondary_indexes() -> list[str]:
    """Drop the big tables' indexes that back no constraint (FK and search indexes), returning
    their definitions: one bulk build after COPY is far cheaper than row-by-row upkeep. Only
    in fast mode, which is for the bench's own throw-away database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
            "::regclass)",
            [list(BIG_TABLES)],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def _create_index(definition: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(definition)


def _create_indexes(definitions: list[str], workers: int) -> None:
    connections.close_all()
    if workers > 1:
        with mp.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
            pool.map(_create_index, definitions, chunksize=1)
    else:
        for definition in definitions:
            _create_index(definition)


def _worker_init() -> None:
    connections.close_all()  # never share the parent's socket


# --- entry point -----------------------------------------------------------------------------


def generate(
    scale: Scale | str | int,
    *,
    seed: int = 20260101,
    workers: int = 1,
    fast: bool = False,
    chunk_orders: int = CHUNK_ORDERS,
    progress=None,
) -> dict[str, Any]:
    """Fill the current database with a data set of `scale`; returns counts and timings.

    `workers` > 1 loads order chunks in parallel processes (PostgreSQL only); `fast` turns
    off per-row FK triggers and the commit flush during the COPY (PostgreSQL, superuser).
    """
    global _WORLD
    if not isinstance(scale, Scale):
        scale = Scale.of(scale)
    say = progress or (lambda msg: None)
    rng = random.Random(seed)
    names = ref.Names(rng)
    loader = Loader()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    today = timezone.localdate()
    with transaction.atomic():
        users = ref.users(scale, names, rng, loader)
        cat = ref.catalogue(scale, rng, loader, today)
        rates = ref.rates(scale, rng, today)
        lists = ref.price_lists(scale, rng, loader, cat["products"], today, rates)
        customers = ref.customers(
            scale, names, rng, loader, managers=users["managers"], actors=users["actors"],
            warehouses=cat["warehouses"], price_lists=lists, today=today,
        )  # fmt: skip
    timings["reference"] = time.perf_counter() - t0
    say(
        f"reference data: {len(customers)} customers, {len(cat['products'])} products, "
        f"{len(users['managers'])} managers in {timings['reference']:.1f} s"
    )
    activity = [rng.paretovariate(1.16) for _ in customers]  # 80/20-ish
    world = World(
        seed=seed,
        today=today,
        now=timezone.now(),
        prefix=settings.ORDERDESK.get("ORDER_NUMBER_PREFIX", "ЗМ"),
        base_currency=settings.ORDERDESK["BASE_CURRENCY"],
        fast=fast and connection.vendor == "postgresql",
        customers=customers,
        customer_cum=list(accumulate(activity)),
        price_lists=lists,
        products=cat["products"],
        rates=rates,
        actors={**users["actors"], **dict(_actor_names())},
        reasons=[
            (r.pk, r.code, r.name, r.requires_text)
            for r in CancellationReason.objects.filter(active=True).order_by("code")
        ],
        first_order_id=next_id(Order),
    )
    series = _plan(world, scale, rng)
    first_line = next_id(OrderLine)
    specs = []
    line_at = first_line
    for index, start in enumerate(range(0, scale.orders, chunk_orders)):
        stop = min(start + chunk_orders, scale.orders)
        specs.append((index, start, stop, line_at))
        line_at += sum(world.nlines[start:stop])
    _WORLD = world
    t1 = time.perf_counter()
    totals = [0, 0, 0, 0.0, 0.0]  # orders, lines, events, seconds making, seconds loading
    dropped = _drop_secondary_indexes() if world.fast and scale.orders >= 100_000 else []
    if dropped:
        say(f"fast load: {len(dropped)} secondary indexes dropped, rebuilt after the load")
    try:
        if workers > 1 and connection.vendor == "postgresql" and len(specs) > 1:
            connections.close_all()
            with mp.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
                for done, result in enumerate(pool.imap_unordered(_load_chunk, specs), 1):
                    _add(totals, result)
                    _chunk_progress(say, done, len(specs), totals, t1)
        else:
            for done, spec in enumerate(specs, 1):
                _add(totals, _load_chunk(spec))
                _chunk_progress(say, done, len(specs), totals, t1)
    finally:
        _WORLD = None
        if dropped:
            t_idx = time.perf_counter()
            _create_indexes(dropped, workers)
            timings["indexes"] = time.perf_counter() - t_idx
            say(f"indexes rebuilt in {timings['indexes']:.1f} s")
    timings["orders"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    with transaction.atomic():
        for year, last in series.items():
            NumberSeries.objects.update_or_create(
                key=SERIES_KEY, year=year, defaults={"last_value": last}
            )
        reset_sequences([Order, OrderLine, Event, NumberSeries])
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    timings["finish"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return {
        "scale": scale.as_dict(),
        "seed": seed,
        "workers": workers,
        "fast": world.fast,
        "vendor": connection.vendor,
        "rows": {
            "customers": len(customers),
            "products": len(cat["products"]),
            "orders": totals[0],
            "order_lines": totals[1],
            "events": totals[2],
        },
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        # summed over the workers: where the order phase spent its time
        "worker_seconds": {"make_rows": round(totals[3], 2), "load": round(totals[4], 2)},
        "orders_per_second": round(totals[0] / timings["orders"], 1) if timings["orders"] else 0,
        "first_order_id": world.first_order_id,
    }


def _actor_names():
    for user in User.objects.filter(groups__name__in=["sales_manager", "sales_head"]).distinct():
        yield user.pk, user.get_full_name() or user.get_username()


def _add(totals: list, result) -> None:
    for i in range(5):
        totals[i] += result[i]


def _chunk_progress(say, done: int, count: int, totals: list[int], t0: float) -> None:
    if done == count or done % max(1, count // 10) == 0:
        elapsed = time.perf_counter() - t0
        say(
            f"orders {totals[0]:,} lines {totals[1]:,} events {totals[2]:,} "
            f"({done}/{count} chunks, {totals[0] / max(elapsed, 1e-9):,.0f} orders/s)"
        )


# --- consistency -----------------------------------------------------------------------------


def check(*, first_order_id: int = 1, chain_sample: int = 200) -> dict[str, Any]:
    """Invariants of the generated orders (id >= first_order_id); {name: count of problems}.

    All zero (and `chain_broken` None) when the data is consistent. A few aggregate queries,
    cheap enough at 1M orders.
    """
    from orderdesk.audit.selectors import verify_chain

    orders = Order.objects.filter(pk__gte=first_order_id)
    lines = OrderLine.objects.filter(order_id__gte=first_order_id)
    per_order = (
        lines.values("order_id")
        .annotate(
            net=Sum("net_amount"),
            vat=Sum("vat_amount"),
            gross=Sum("gross_amount"),
            n=Count("id"),
            top=Max("position"),
            low=Min("position"),
        )
        .order_by()
    )
    problems: dict[str, Any] = {"orders": orders.count()}
    totals = {
        oid: (net, vat, gross)
        for oid, net, vat, gross in orders.values_list(
            "id", "net_amount", "vat_amount", "gross_amount"
        ).iterator(chunk_size=20000)
    }
    bad_totals = bad_positions = 0
    with_lines = set()
    for row in per_order.iterator(chunk_size=20000):
        with_lines.add(row["order_id"])
        expected = totals.get(row["order_id"])
        if expected is None:
            continue
        if tuple(Decimal(x) for x in expected) != (
            Decimal(row["net"]),
            Decimal(row["vat"]),
            Decimal(row["gross"]),
        ):
            bad_totals += 1
        if row["low"] != 1 or row["top"] != row["n"]:
            bad_positions += 1
    problems["orders_without_lines"] = len(set(totals) - with_lines)
    problems["totals_differ_from_lines"] = bad_totals
    problems["line_positions_not_dense"] = bad_positions
    problems["orphan_lines"] = lines.exclude(order_id__in=Order.objects.values("pk")).count()
    problems["numbers_duplicated"] = problems["orders"] - orders.values("number").distinct().count()
    series = dict(NumberSeries.objects.filter(key=SERIES_KEY).values_list("year", "last_value"))
    problems["number_series_behind"] = sum(
        1
        for year, count in Order.objects.values_list("order_date__year")
        .annotate(n=Count("id"))
        .order_by()
        if series.get(year, 0) < count
    )
    problems["balances_missing"] = (
        Product.objects.count() * Warehouse.objects.count() - StockBalance.objects.count()
    )
    created = Event.objects.filter(
        stream=Concat(Value("orders.order:"), Cast(OuterRef("pk"), CharField())),
        seq=1,
        action="orders.order.created",
    )
    problems["orders_without_created_event"] = orders.filter(~Exists(created)).count()
    streams = [
        f"orders.order:{pk}"
        for pk in orders.order_by("?").values_list("pk", flat=True)[:chain_sample]
    ]
    checked, broken = verify_chain(streams) if streams else (0, None)
    problems["chain_events_checked"] = checked
    problems["chain_broken"] = (
        None if broken is None else f"{broken.stream}#{broken.seq}: {broken.reason}"
    )
    return problems


def problems_of(report: dict[str, Any]) -> dict[str, Any]:
    """The entries of a check() report that say something is wrong."""
    informative = {"orders", "chain_events_checked"}
    return {k: v for k, v in report.items() if k not in informative and v}
