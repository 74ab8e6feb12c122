"""The three ways of writing one order the benchmark compares, and the hot customer.

- `ServicesClient`: orders.services.order_create + order_confirm in this process;
- `ApiClient`: POST /api/v1/orders/ then POST /api/v1/orders/{id}/confirm/ over HTTP;
- `RawClient`: the same writes as plain SQL (psycopg on PostgreSQL, sqlite3 on SQLite).

Import only after django.setup().
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import sqlite3
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection, connections
from django.utils import timezone

from orderdesk.audit.services import GENESIS, event_hash, hash_payload
from orderdesk.catalog.models import Warehouse
from orderdesk.core.errors import DomainError
from orderdesk.customers.models import Customer
from orderdesk.orders import calculations as calc
from orderdesk.orders.models import Order, OrderLine
from orderdesk.pricing.models import Contract, PriceList, PriceListItem

from .loading import column_defaults

SERIES_KEY = "orders.order"
HOT_TAX_ID = "39999999"
LINES_PER_ORDER = 5
QUANTITY = "2"


@dataclass
class Hot:
    """The hot customer every client writes to, and what the raw path caches about it."""

    vendor: str
    user_id: int
    username: str
    actor_name: str
    token: str
    customer_id: int
    customer_name: str
    contract_id: int
    price_list_id: int
    currency: str
    payment_terms_id: int
    payment_method_id: int
    delivery_method_id: int | None
    delivery_terms: str
    delivery_address: str
    warehouse_id: int
    product_ids: list[int]
    prefix: str
    database_url: str = ""
    sqlite_path: str = ""


def prepare_hot() -> Hot:
    """The bench user (a sales manager with an API token) and its hot customer on the
    generated wholesale price list; idempotent."""
    from rest_framework.authtoken.models import Token

    user, _c = User.objects.get_or_create(
        username="bench.client",
        defaults={"first_name": "Бенч", "last_name": "Клієнт", "password": "!bench"},
    )
    user.groups.add(Group.objects.get(name="sales_manager"))
    token, _c = Token.objects.get_or_create(user=user)
    price_list = PriceList.objects.filter(code="BENCH-WHOLESALE").first()
    if price_list is None:
        raise RuntimeError("no generated data: run the generator first (bench.generate)")
    customer, _c = Customer.objects.get_or_create(
        tax_id=HOT_TAX_ID,
        defaults={
            "legal_name": "ТОВ «Гарячий клієнт»",
            "short_name": "Гарячий клієнт",
            "manager": user,
            "delivery_address": "м. Київ, вул. Хрещатик, 1",
        },
    )
    contract = Contract.objects.filter(customer=customer, is_default=True).first()
    if contract is None:
        from orderdesk.customers.models import PaymentMethod, PaymentTerms

        contract = Contract.objects.create(
            customer=customer,
            number="HOT/1",
            date=timezone.localdate().replace(month=1, day=1),
            valid_from=timezone.localdate().replace(year=2020, month=1, day=1),
            currency_id=price_list.currency_id,
            price_list=price_list,
            payment_terms=PaymentTerms.objects.get(code="net14"),
            payment_method=PaymentMethod.objects.get(code="bank"),
            is_default=True,
        )
    # products with one plain price (no break, no later change) keep the raw path honest
    today = timezone.localdate()
    plain = (
        PriceListItem.objects.filter(
            price_list=price_list, min_quantity=0, valid_from__lte=today, valid_to__isnull=True
        )
        .exclude(
            product_id__in=PriceListItem.objects.filter(price_list=price_list)
            .exclude(min_quantity=0, valid_to__isnull=True)
            .values("product_id")
        )
        .filter(product__active=True)
        .order_by("product_id")
        .values_list("product_id", flat=True)[:200]
    )
    products = list(plain)
    if len(products) < 20:
        raise RuntimeError("the hot price list needs at least 20 plainly priced products")
    warehouse = Warehouse.objects.filter(active=True).order_by("code").first()
    return Hot(
        vendor=connection.vendor,
        user_id=user.pk,
        username=user.username,
        actor_name=user.get_full_name() or user.username,
        token=token.key,
        customer_id=customer.pk,
        customer_name=customer.short_name,
        contract_id=contract.pk,
        price_list_id=price_list.pk,
        currency=contract.currency_id,
        payment_terms_id=contract.payment_terms_id,
        payment_method_id=contract.payment_method_id,
        delivery_method_id=contract.delivery_method_id,
        delivery_terms=contract.delivery_terms,
        delivery_address=customer.delivery_address or customer.legal_address,
        warehouse_id=warehouse.pk,
        product_ids=products,
        prefix=settings.ORDERDESK.get("ORDER_NUMBER_PREFIX", "ЗМ"),
        database_url=os.environ.get("DATABASE_URL", ""),
        sqlite_path=str(connection.settings_dict["NAME"]) if connection.vendor == "sqlite" else "",
    )


# --- the three ways of writing an order ------------------------------------------------------


class ServicesClient:
    """order_create + order_confirm, as a view would call them (a fresh user each request)."""

    def __init__(self, hot: Hot, lines: int = LINES_PER_ORDER) -> None:
        from orderdesk.orders.services import LineInput, order_confirm, order_create

        self.hot, self.lines = hot, lines
        self.create, self.confirm, self.LineInput = order_create, order_confirm, LineInput
        self.user = User.objects.get(pk=hot.user_id)
        self.retries: Counter = Counter()
        _count_retries(self.retries)

    def op(self, rng: random.Random) -> int:
        for cached in ("_orderdesk_roles", "_orderdesk_terms", "_orderdesk_team"):
            self.user.__dict__.pop(cached, None)  # what a new request starts with
        products = rng.sample(self.hot.product_ids, self.lines)
        order = self.create(
            by=self.user,
            customer=self.hot.customer_id,
            lines=[self.LineInput(product=p, quantity=QUANTITY) for p in products],
        )
        self.confirm(by=self.user, order=order.pk)
        return order.pk

    def close(self) -> None:
        connections.close_all()


def _count_retries(counter: Counter) -> None:
    """Count what atomic_with_retry retries, without changing what it does."""
    from orderdesk.core import db

    original = db.is_retryable

    def counting(exc: BaseException) -> bool:
        retry = original(exc)
        if retry:
            counter[error_code(exc)] += 1
        return retry

    db.is_retryable = counting


class ApiClient:
    """The HTTP API with token auth, one keep-alive-capable connection per client."""

    def __init__(self, hot: Hot, base: tuple[str, int], lines: int = LINES_PER_ORDER) -> None:
        self.hot, self.lines = hot, lines
        self.conn = http.client.HTTPConnection(*base, timeout=60)
        self.headers = {
            "Authorization": f"Token {hot.token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.retries: Counter = Counter()

    def post(self, path: str, body: dict | None) -> tuple[int, Any]:
        payload = json.dumps(body or {})
        try:
            self.conn.request("POST", path, payload, self.headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()  # the worker closed it: once more on a new connection
            self.conn.request("POST", path, payload, self.headers)
            response = self.conn.getresponse()
        raw = response.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw[:200].decode(errors="replace")
        return response.status, data

    def op(self, rng: random.Random) -> int:
        products = rng.sample(self.hot.product_ids, self.lines)
        status, data = self.post(
            "/api/v1/orders/",
            {
                "customer": self.hot.customer_id,
                "lines": [{"product": p, "quantity": QUANTITY} for p in products],
            },
        )
        if status != 201:
            raise HttpError(status, data)
        status, confirmed = self.post(f"/api/v1/orders/{data['id']}/confirm/", None)
        if status != 200:
            raise HttpError(status, confirmed)
        return data["id"]

    def close(self) -> None:
        self.conn.close()


class HttpError(Exception):
    def __init__(self, status: int, data: Any) -> None:
        code = data.get("code") if isinstance(data, dict) else None
        super().__init__(f"HTTP {status} {code or str(data)[:120]}")
        self.status, self.code = status, code


class RawClient:
    """The same writes in plain SQL: 10 statements and 2 commits per order."""

    def __init__(self, hot: Hot, lines: int = LINES_PER_ORDER) -> None:
        self.hot, self.lines = hot, lines
        self.retries: Counter = Counter()
        self.pg = hot.vendor == "postgresql"
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(libpq_url(hot.database_url))
        else:
            self.conn = sqlite3.connect(hot.sqlite_path, timeout=20, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
        self.p = "%s" if self.pg else "?"
        self.statements = 0
        self.extra: dict[str, dict[str, Any]] = {}  # per table, read once from the model

    # small helpers that hide the two drivers' differences
    def _sql(self, sql: str) -> str:
        return sql if self.pg else sql.replace("%s", "?")

    def _val(self, value: Any) -> Any:
        if self.pg:
            return value
        if isinstance(value, Decimal):
            return str(value)
        if hasattr(value, "tzinfo") and hasattr(value, "hour"):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    def _exec(self, cur, sql: str, params=()):
        self.statements += 1
        cur.execute(self._sql(sql), tuple(self._val(v) for v in params))
        return cur

    def op(self, rng: random.Random) -> int:
        hot = self.hot
        products = rng.sample(hot.product_ids, self.lines)
        today = timezone.localdate()
        now = timezone.now()
        cur = self.conn.cursor()
        # --- transaction 1: enter the order
        self._begin(cur)
        try:
            terms = self._exec(
                cur,
                "SELECT c.id, c.price_list_id, c.currency_id, c.payment_terms_id, "
                "c.payment_method_id, c.delivery_method_id, c.delivery_terms, "
                "cu.delivery_address, cu.manager_id, cu.short_name FROM pricing_contract c "
                "JOIN customers_customer cu ON cu.id = c.customer_id "
                "WHERE c.customer_id = %s AND c.is_default AND c.active AND cu.active",
                (hot.customer_id,),
            ).fetchone()
            marks = ", ".join([self.p] * len(products))
            rows = self._exec(
                cur,
                "SELECT p.id, p.sku, p.name, p.unit, p.vat_rate, p.cost_price, i.price, "
                "i.valid_from FROM catalog_product p JOIN pricing_pricelistitem i "
                "ON i.product_id = p.id AND i.price_list_id = %s AND i.valid_from <= %s "
                "AND (i.valid_to IS NULL OR i.valid_to >= %s) AND i.min_quantity <= %s "
                f"WHERE p.active AND p.id IN ({marks}) "
                "ORDER BY p.id, i.min_quantity DESC, i.valid_from DESC",
                (terms[1], today, today, Decimal(QUANTITY), *products),
            ).fetchall()
            best: dict[int, tuple] = {}
            for row in rows:
                best.setdefault(row[0], row)
            qty = Decimal(QUANTITY)
            lines, net, vat_sum, gross = [], D0, D0, D0
            for pos, pid in enumerate(products, 1):
                _id, sku, name, unit, vat, cost, price, _valid_from = best[pid]
                price, vat, cost = Decimal(price), Decimal(vat), Decimal(cost)
                a = calc.line_amounts(
                    quantity=qty,
                    unit_price=price,
                    discount_percent=D0,
                    vat_rate=vat,
                    currency=terms[2],
                )
                net, vat_sum, gross = net + a.net, vat_sum + a.vat, gross + a.gross
                lines.append((pos, pid, f"{sku} {name}", name, unit, price, vat, cost, a))
            number_value = self._exec(
                cur,
                "INSERT INTO core_numberseries (key, year, last_value) VALUES (%s, %s, 1) "
                "ON CONFLICT (key, year) DO UPDATE "
                "SET last_value = core_numberseries.last_value + 1 RETURNING last_value",
                (SERIES_KEY, today.year),
            ).fetchone()[0]
            number = f"{hot.prefix}-{today.year}-{number_value:06d}"
            order = {
                "number": number, "status": "draft", "fulfillment_status": "not_released",
                "payment_status": "not_due", "order_date": today, "customer_reference": "",
                "exchange_rate": Decimal(1), "delivery_terms": terms[6],
                "delivery_address": terms[7], "partial_shipment_allowed": True, "comment": "",
                "net_amount": net, "vat_amount": vat_sum, "gross_amount": gross,
                "base_net_amount": net, "base_vat_amount": vat_sum, "base_gross_amount": gross,
                "revision": 0, "created_at": now, "updated_at": now, "cancel_comment": "",
                "contract_id": terms[0], "created_by_id": hot.user_id, "currency_id": terms[2],
                "customer_id": hot.customer_id, "delivery_method_id": terms[5],
                "last_changed_by_id": hot.user_id, "manager_id": terms[8],
                "payment_method_id": terms[4], "payment_terms_id": terms[3],
                "price_list_id": terms[1], "warehouse_id": hot.warehouse_id,
            }  # fmt: skip
            order_id = self._insert(cur, Order, [order])[0]
            rows = [
                {
                    "order_id": order_id,
                    "position": pos,
                    "product_id": pid,
                    "description": name,
                    "unit": unit,
                    "quantity": qty,
                    "unit_price": price,
                    "list_price": price,
                    "price_source": "list",
                    "discount_percent": D0,
                    "vat_rate": vat,
                    "net_amount": a.net,
                    "vat_amount": a.vat,
                    "gross_amount": a.gross,
                    "cost_price": cost,
                    "cancelled_quantity": D0,
                    "shipped_quantity": D0,
                }
                for pos, pid, _label, name, unit, price, vat, cost, a in lines
            ]
            line_ids = self._insert(cur, OrderLine, rows)
            stream = f"orders.order:{order_id}"
            chain = _RawChain(stream, hot.user_id, hot.actor_name, now)
            chain.add("orders.order.created", "orders.order", order_id, number,
                      {"number": {"from": None, "to": number},
                       "customer": {"from": None, "to": terms[9]},
                       "gross_amount": {"from": None, "to": format(gross.normalize(), "f")}})  # fmt: skip
            for line_id, (pos, _pid, label, name, _u, price, _v, _c, a) in zip(
                line_ids, lines, strict=True
            ):
                chain.add("orders.line.added", "orders.orderline", line_id,
                          f"{order_id}/{pos} {name}",
                          {"product": {"from": None, "to": label},
                           "quantity": {"from": None, "to": QUANTITY},
                           "unit_price": {"from": None, "to": format(price.normalize(), "f")},
                           "gross_amount": {"from": None, "to": format(a.gross.normalize(), "f")}})  # fmt: skip
            self._insert_events(cur, chain.rows)
            self._commit(cur)
        except BaseException:
            self._rollback(cur)
            raise
        # --- transaction 2: confirm it
        self._begin(cur)
        try:
            lock = " FOR UPDATE" if self.pg else ""
            status = self._exec(
                cur, f"SELECT status FROM orders_order WHERE id = %s{lock}", (order_id,)
            ).fetchone()[0]
            if status != "draft":
                raise RuntimeError(f"order {order_id} is {status}")
            seq, prev = self._exec(
                cur,
                "SELECT seq, hash FROM audit_event WHERE stream = %s ORDER BY seq DESC LIMIT 1",
                (stream,),
            ).fetchone()
            now = timezone.now()
            self._exec(
                cur,
                "UPDATE orders_order SET status = 'confirmed', confirmed_at = %s, "
                "updated_at = %s, last_changed_by_id = %s WHERE id = %s",
                (now, now, hot.user_id, order_id),
            )
            chain = _RawChain(stream, hot.user_id, hot.actor_name, now, seq=seq, prev=prev)
            chain.add("orders.order.confirmed", "orders.order", order_id, number,
                      {"status": {"from": "draft", "to": "confirmed"}})  # fmt: skip
            self._insert_events(cur, chain.rows)
            self._commit(cur)
        except BaseException:
            self._rollback(cur)
            raise
        return order_id

    def _insert(self, cur, model, rows: list[dict]) -> list[int]:
        """One multi-row INSERT ... RETURNING id; columns the model added since this was
        written get their defaults."""
        table = model._meta.db_table
        if table not in self.extra:
            self.extra[table] = dict(zip(*column_defaults(model, tuple(rows[0])), strict=True))
        extra = self.extra[table]
        columns = [*rows[0], *extra]
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        params = [row.get(c, extra.get(c)) for row in rows for c in columns]
        cur = self._exec(
            cur,
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join([marks] * len(rows))
            + " RETURNING id",
            params,
        )
        return [r[0] for r in cur.fetchall()]

    def _insert_events(self, cur, rows: list[tuple]) -> None:
        marks = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
        self._exec(
            cur,
            "INSERT INTO audit_event (stream, seq, action, object_type, object_id, object_repr, "
            "actor_id, actor_name, occurred_at, changes, data, prev_hash, hash) VALUES "
            + ", ".join([marks] * len(rows)),
            [v for row in rows for v in row],
        )

    def _begin(self, cur) -> None:
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")  # as Django's transaction_mode, so no lock upgrade

    def _commit(self, cur) -> None:
        if self.pg:
            self.conn.commit()
        else:
            cur.execute("COMMIT")

    def _rollback(self, cur) -> None:
        try:
            if self.pg:
                self.conn.rollback()
            elif self.conn.in_transaction:
                cur.execute("ROLLBACK")
        except Exception:
            pass

    def close(self) -> None:
        self.conn.close()


D0 = Decimal(0)
UTC = dt.UTC


class _RawChain:
    def __init__(self, stream, actor, actor_name, at, *, seq: int = 0, prev: str = GENESIS):
        self.stream, self.actor, self.actor_name, self.at = stream, actor, actor_name, at
        self.seq, self.prev, self.rows = seq, prev, []

    def add(self, action, object_type, object_id, repr_, changes) -> None:
        self.seq += 1
        event = SimpleNamespace(
            stream=self.stream, seq=self.seq, action=action, object_type=object_type,
            object_id=str(object_id), object_repr=repr_[:200], actor_id=self.actor,
            actor_name=self.actor_name, occurred_at=self.at, changes=changes, data={},
        )  # fmt: skip
        digest = event_hash(self.prev, hash_payload(event))
        self.rows.append((
            self.stream, self.seq, action, object_type, str(object_id), event.object_repr,
            self.actor, self.actor_name, self.at, json.dumps(changes, ensure_ascii=False), "{}",
            self.prev, digest,
        ))  # fmt: skip
        self.prev = digest


def libpq_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


# --- running clients -------------------------------------------------------------------------


def error_code(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return exc.code
    if isinstance(exc, HttpError):
        return f"http_{exc.status}" + (f"_{exc.code}" if exc.code else "")
    text = str(exc)
    if "database is locked" in text:
        return "database_is_locked"
    for e in (exc, getattr(exc, "__cause__", None)):
        state = getattr(e, "sqlstate", None)
        if state:
            return {"40P01": "deadlock", "40001": "serialization_failure"}.get(state, state)
    return type(exc).__name__
