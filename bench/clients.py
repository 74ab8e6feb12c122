"""The three ways of writing one order the benchmark compares, and the hot customer.

- `ServicesClient`: orders.services.order_create + order_confirm in this process;
- `ApiClient`: POST /api/v1/orders/ then POST /api/v1/orders/{id}/confirm/ over HTTP;
- `RawClient`: the same rows as hand-written SQL (psycopg on PostgreSQL, sqlite3 on SQLite):
  order, lines, number, history and stream heads; the credit account lock, commitment and
  committed amount with the stored balance read; the stock reservation; the release.

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
from django.utils.translation import gettext

from orderdesk.audit.services import GENESIS, event_hash, hash_payload, jsonable
from orderdesk.catalog.models import Warehouse
from orderdesk.core.errors import DomainError
from orderdesk.credit.models import Commitment
from orderdesk.customers.models import Customer
from orderdesk.fulfillment.models import Release, ReleaseLine, Reservation
from orderdesk.orders import calculations as calc
from orderdesk.orders.models import Order, OrderLine
from orderdesk.pricing import sources as price_sources
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
        from orderdesk.core.roles import prime_roles, role_names

        self.user = User.objects.annotate(_role_names=role_names()).get(pk=hot.user_id)
        prime_roles(self.user, self.user._role_names)
        self.retries: Counter = Counter()
        _count_retries(self.retries)

    def op(self, rng: random.Random) -> int:
        # what a new request starts with: its user comes with the roles (core.auth reads them
        # in the user's statement), not with the rights on terms or the team
        for cached in ("_orderdesk_terms", "_orderdesk_team"):
            self.user.__dict__.pop(cached, None)
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
            "Prefer": "return=minimal",  # the compact answer (docs/api.md)
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
        """One request, as an e-shop sends it: create and confirm in one transaction
        (`"confirm": true`), the compact answer (`Prefer: return=minimal`)."""
        products = rng.sample(self.hot.product_ids, self.lines)
        status, data = self.post(
            "/api/v1/orders/",
            {
                "customer": self.hot.customer_id,
                "lines": [{"product": p, "quantity": QUANTITY} for p in products],
                "confirm": True,
            },
        )
        if status != 201:
            raise HttpError(status, data)
        if data.get("status") != "confirmed":
            raise HttpError(status, {"code": f"not confirmed: {data.get('status')}"})
        return data["id"]

    def close(self) -> None:
        self.conn.close()


class HttpError(Exception):
    def __init__(self, status: int, data: Any) -> None:
        code = data.get("code") if isinstance(data, dict) else None
        super().__init__(f"HTTP {status} {code or str(data)[:120]}")
        self.status, self.code = status, code


class RawClient:
    """The same writes in plain SQL, in the services' three transactions, each statement
    written by hand with what it needs joined in (see `op`): 22 statements (19 on
    PostgreSQL, where each history write is one), 3 BEGIN and 3 COMMIT per order, whatever
    the number of lines."""

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
        self.statements = 0  # data statements, all orders
        self.control = 0  # BEGIN and COMMIT, all orders
        self.log: list[tuple[str, str]] | None = None  # (transaction, sql) when recording
        self._tx = ""
        self.extra: dict[str, dict[str, Any]] = {}  # per table, read once from the model

    # small helpers that hide the two drivers' differences
    def _sql(self, sql: str) -> str:
        if self.pg:
            return sql
        return sql.replace("%s", "?").split(" FOR UPDATE")[0]  # BEGIN IMMEDIATE locks all

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
        sql = self._sql(sql)
        if self.log is not None:
            self.log.append((self._tx, sql))
        cur.execute(sql, tuple(self._val(v) for v in params))
        return cur

    def op(self, rng: random.Random) -> int:
        """Create, confirm and release one order, as the services do:

        1. create: the contract with every name the history shows (one join), the prices,
           the number (upsert), the order, its lines, its history, the stream's head;
        2. confirm: lock the order and the customer's credit account in one statement that
           also reads the stream head, the stored balance and the credit limit; confirm the
           order; move the account's committed amount; insert the commitment; lock the stock
           balances; reserve what is available (one UPDATE ... FROM VALUES, one INSERT of the
           reservation rows); history and head;
        3. release (after the commit, as the services): lock the order with its head and the
           account's block; insert the release and its lines; mark the order released;
           history and head.
        """
        hot = self.hot
        products = rng.sample(hot.product_ids, self.lines)
        cur = self.conn.cursor()
        order = self._transaction(cur, "create", self._create, products)
        self._transaction(cur, "confirm", self._confirm, order)
        self._transaction(cur, "release", self._release, order)
        return order["id"]

    def _transaction(self, cur, name: str, step, *args):
        self._tx = name
        self._begin(cur)
        try:
            result = step(cur, *args)
            self._commit(cur)
        except BaseException:
            self._rollback(cur)
            raise
        return result

    # --- transaction 1: enter the order
    def _create(self, cur, products: list[int]) -> dict[str, Any]:
        hot = self.hot
        today = timezone.localdate()
        now = timezone.now()
        t = self._exec(
            cur,
            "SELECT c.id, c.price_list_id, c.currency_id, c.payment_terms_id, "
            "c.payment_method_id, c.delivery_method_id, c.delivery_terms, cu.delivery_address, "
            "cu.manager_id, cu.short_name, c.number, c.date, pl.name, pt.name, pm.name, "
            "u.username, w.name FROM pricing_contract c "
            "JOIN customers_customer cu ON cu.id = c.customer_id "
            "JOIN pricing_pricelist pl ON pl.id = c.price_list_id "
            "JOIN customers_paymentterms pt ON pt.id = c.payment_terms_id "
            "JOIN customers_paymentmethod pm ON pm.id = c.payment_method_id "
            "JOIN auth_user u ON u.id = cu.manager_id "
            "JOIN catalog_warehouse w ON w.id = %s "
            "WHERE c.customer_id = %s AND c.is_default AND c.active AND cu.active",
            (hot.warehouse_id, hot.customer_id),
        ).fetchone()
        if t is None:
            raise RuntimeError("the hot customer has no active default contract")
        (contract_id, price_list_id, currency, terms_id, method_id, delivery_method_id,
         delivery_terms, delivery_address, manager_id, customer_name, contract_number,
         contract_date, list_name, terms_name, method_name, manager_name,
         warehouse_name) = t  # fmt: skip
        marks = ", ".join([self.p] * len(products))
        rows = self._exec(
            cur,
            "SELECT p.id, p.sku, p.name, p.unit, p.vat_rate, p.cost_price, i.price, "
            "i.valid_from FROM catalog_product p JOIN pricing_pricelistitem i "
            "ON i.product_id = p.id AND i.price_list_id = %s AND i.valid_from <= %s "
            "AND (i.valid_to IS NULL OR i.valid_to >= %s) AND i.min_quantity <= %s "
            f"WHERE p.active AND p.id IN ({marks}) "
            "ORDER BY p.id, i.min_quantity DESC, i.valid_from DESC",
            (price_list_id, today, today, Decimal(QUANTITY), *products),
        ).fetchall()
        best: dict[int, tuple] = {}
        for row in rows:
            best.setdefault(row[0], row)
        qty = Decimal(QUANTITY)
        lines, net, vat_sum, gross = [], D0, D0, D0
        for pos, pid in enumerate(products, 1):
            _id, sku, name, unit, vat, cost, price, valid_from = best[pid]
            price, vat, cost = _dec(price), _dec(vat), _dec(cost)
            a = calc.line_amounts(
                quantity=qty, unit_price=price, discount_percent=D0, vat_rate=vat,
                currency=currency,
            )  # fmt: skip
            net, vat_sum, gross = net + a.net, vat_sum + a.vat, gross + a.gross
            source = price_sources.item(list_name, _date(valid_from), D0)  # the price's origin
            lines.append((pos, pid, f"{sku} {name}", name, unit, price, vat, cost, a, source))
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
            "exchange_rate": Decimal(1), "delivery_terms": delivery_terms,
            "delivery_address": delivery_address, "partial_shipment_allowed": True,
            "comment": "", "discount_percent": D0,
            "net_amount": net, "vat_amount": vat_sum, "gross_amount": gross,
            "base_net_amount": net, "base_vat_amount": vat_sum, "base_gross_amount": gross,
            "revision": 0, "created_at": now, "updated_at": now, "cancel_comment": "",
            "contract_id": contract_id, "created_by_id": hot.user_id, "currency_id": currency,
            "customer_id": hot.customer_id, "delivery_method_id": delivery_method_id,
            "last_changed_by_id": hot.user_id, "manager_id": manager_id,
            "payment_method_id": method_id, "payment_terms_id": terms_id,
            "price_list_id": price_list_id, "warehouse_id": hot.warehouse_id,
        }  # fmt: skip
        order_id = self._insert(cur, Order, [order])[0]
        rows = []
        for pos, pid, _label, name, unit, price, vat, cost, a, source in lines:
            rows.append({
                "order_id": order_id, "position": pos, "product_id": pid, "description": name,
                "unit": unit, "quantity": qty, "unit_price": price, "list_price": price,
                "price_source": "", "price_origin": source, "discount_percent": D0,
                "auto_discount_percent": D0, "manual_discount_percent": D0,
                "discount_source": "", "discount_breakdown": BREAKDOWN, "vat_rate": vat, "net_amount": a.net,
                "vat_amount": a.vat, "gross_amount": a.gross, "cost_price": cost,
                "cancelled_quantity": D0, "shipped_quantity": D0,
            })  # fmt: skip
        line_ids = self._insert(cur, OrderLine, rows)
        stream = f"orders.order:{order_id}"
        chain = _RawChain(stream, hot.user_id, hot.actor_name, now)
        contract = gettext("contract %(number)s of %(date)s") % {
            "number": contract_number,
            "date": _date(contract_date).strftime("%d.%m.%Y"),
        }
        created = {
            "number": number, "customer": customer_name, "contract": contract,
            "currency": currency, "price_list": list_name, "payment_terms": terms_name,
            "payment_method": method_name, "delivery_terms": delivery_terms,
            "delivery_address": delivery_address, "warehouse": warehouse_name,
            "manager": manager_name, "order_date": today, "customer_reference": "",
            "comment": "", "partial_shipment_allowed": True, "discount_percent": D0,
            "exchange_rate": Decimal(1), "net_amount": net, "vat_amount": vat_sum,
            "gross_amount": gross,
        }  # fmt: skip
        chain.add("orders.order.created", "orders.order", order_id, number, _new(created))
        for line_id, (pos, _pid, label, name, _u, price, vat, _c, a, source) in zip(
            line_ids, lines, strict=True
        ):
            added = {
                "product": label, "quantity": qty, "schedule": [], "vat_rate": vat,
                "list_price": price, "unit_price": price, "net_amount": a.net,
                "vat_amount": a.vat, "gross_amount": a.gross, "price_origin": source,
                "discount_source": "", "discount_percent": D0, "auto_discount_percent": D0,
                "manual_discount_percent": D0,
            }  # fmt: skip
            chain.add("orders.line.added", "orders.orderline", line_id,
                      f"{order_id}/{pos} {name}", _new(added))  # fmt: skip
        self._append(cur, chain)
        return {
            "id": order_id, "number": number, "stream": stream, "gross": gross,
            "lines": [(line_id, pos, pid, qty) for line_id, (pos, pid, *_r) in
                      zip(line_ids, lines, strict=True)],
        }  # fmt: skip

    # --- transaction 2: confirm it (credit control, reservation)
    def _confirm(self, cur, order: dict[str, Any]) -> None:
        hot = self.hot
        today = timezone.localdate()
        row = self._exec(
            cur,
            "SELECT o.status, o.base_gross_amount, h.seq, h.hash, a.id, a.committed_amount, "
            "a.blocked, b.open_debit - b.open_credit, l.amount, l.mode "
            "FROM orders_order o JOIN audit_streamhead h ON h.stream = %s "
            "JOIN credit_creditaccount a ON a.customer_id = o.customer_id "
            "LEFT JOIN receivables_customerbalance b ON b.customer_id = o.customer_id "
            "LEFT JOIN credit_creditlimit l ON l.customer_id = o.customer_id "
            "AND l.contract_id IS NULL AND l.valid_from <= %s "
            "AND (l.valid_to IS NULL OR l.valid_to >= %s) "
            "WHERE o.id = %s ORDER BY l.valid_from DESC LIMIT 1 FOR UPDATE OF o, a",
            (order["stream"], today, today, order["id"]),
        ).fetchone()
        if row is None:  # the customer's first order: its credit account starts here
            self._exec(
                cur,
                "INSERT INTO credit_creditaccount (customer_id, committed_amount, blocked, "
                "block_kind, block_reason) VALUES (%s, 0, false, '', '') "
                "ON CONFLICT (customer_id) DO NOTHING",
                (hot.customer_id,),
            )
            return self._confirm(cur, order)
        status, amount, seq, head, account_id, committed, blocked, balance, limit, mode = row
        if status != "draft":
            raise RuntimeError(f"order {order['id']} is {status}")
        amount, committed = _dec(amount), _dec(committed)
        exposure = _dec(balance or 0) + committed + amount
        over = limit is not None and mode == "block_confirmation" and exposure > _dec(limit)
        if blocked or over:
            raise RuntimeError(f"credit control would hold order {order['id']}")
        now = timezone.now()
        self._exec(
            cur,
            "UPDATE orders_order SET status = 'confirmed', confirmed_at = %s, "
            "updated_at = %s, last_changed_by_id = %s WHERE id = %s",
            (now, now, hot.user_id, order["id"]),
        )
        self._exec(  # the new value computed here from the locked row (exact on SQLite too)
            cur,
            "UPDATE credit_creditaccount SET committed_amount = %s WHERE id = %s",
            (committed + amount, account_id),
        )
        self._insert(cur, Commitment, [{
            "account_id": account_id, "order_id": order["id"], "order_number": order["number"],
            "order_amount": amount, "invoiced_amount": D0, "amount": amount, "updated_at": now,
        }], returning=False)  # fmt: skip
        # reserve what is available, lines in order, balances locked in product order
        lines = order["lines"]
        marks = ", ".join([self.p] * len(lines))
        balances = {
            pid: [_dec(on_hand), _dec(reserved)]
            for pid, on_hand, reserved in self._exec(
                cur,
                "SELECT product_id, on_hand, reserved FROM catalog_stockbalance "
                f"WHERE warehouse_id = %s AND product_id IN ({marks}) "
                "ORDER BY product_id FOR UPDATE",
                (hot.warehouse_id, *(pid for _l, _p, pid, _q in lines)),
            ).fetchall()
        }
        grants, changed = [], {}
        for _line_id, _pos, pid, want in lines:
            on_hand, reserved = balances[pid]
            grant = max(D0, min(want, on_hand - reserved))
            if grant > 0:
                balances[pid][1] = changed[pid] = reserved + grant
            grants.append(grant)
        if changed:
            values = ", ".join([f"({self.p}, {self.p})"] * len(changed))
            self._exec(
                cur,
                f"WITH v (product_id, reserved) AS (VALUES {values}) "
                "UPDATE catalog_stockbalance SET reserved = v.reserved FROM v "
                "WHERE catalog_stockbalance.warehouse_id = %s "
                "AND catalog_stockbalance.product_id = v.product_id",
                (*(x for item in changed.items() for x in item), hot.warehouse_id),
            )
        self._insert(cur, Reservation, [
            {"line_id": line_id, "order_id": order["id"], "product_id": pid,
             "warehouse_id": hot.warehouse_id, "quantity": grant, "updated_at": now}
            for (line_id, _pos, pid, _q), grant in zip(lines, grants, strict=True)
        ], returning=False)  # fmt: skip
        chain = _RawChain(order["stream"], hot.user_id, hot.actor_name, now, seq=seq, prev=head)
        chain.add("orders.order.confirmed", "orders.order", order["id"], order["number"],
                  {"status": {"from": "draft", "to": "confirmed"}})  # fmt: skip
        if changed:
            reserved = [
                {"position": pos, "reserved": grant, "backordered": want - grant}
                for (_l, pos, _p, want), grant in zip(lines, grants, strict=True)
            ]
            chain.add("fulfillment.stock.reserved", "orders.order", order["id"],
                      order["number"], {}, {"lines": reserved, "automatic": True})  # fmt: skip
        self._append(cur, chain)

    # --- transaction 3: release it to the warehouse (after the commit, as the services)
    def _release(self, cur, order: dict[str, Any]) -> None:
        today = timezone.localdate()
        row = self._exec(
            cur,
            "SELECT o.status, o.fulfillment_status, o.payment_status, a.blocked, h.seq, h.hash "
            "FROM orders_order o JOIN audit_streamhead h ON h.stream = %s "
            "JOIN credit_creditaccount a ON a.customer_id = o.customer_id "
            "WHERE o.id = %s FOR UPDATE OF o",
            (order["stream"], order["id"]),
        ).fetchone()
        status, fulfillment, _payment, blocked, seq, head = row
        if status != "confirmed" or fulfillment != "not_released" or blocked:
            raise RuntimeError(f"order {order['id']} cannot be released ({status}, {fulfillment})")
        now = timezone.now()
        release_id = self._insert(cur, Release, [{
            "order_id": order["id"], "due_on": today, "automatic": True,
            "released_by_id": None, "released_at": now,
        }])[0]  # fmt: skip
        self._insert(cur, ReleaseLine, [
            {"release_id": release_id, "line_id": line_id, "schedule_entry_id": None,
             "date": today, "quantity": qty}
            for line_id, _pos, _pid, qty in order["lines"]
        ], returning=False)  # fmt: skip
        self._exec(
            cur,
            "UPDATE orders_order SET fulfillment_status = 'released', updated_at = %s "
            "WHERE id = %s",
            (now, order["id"]),
        )
        chain = _RawChain(order["stream"], None, "system", now, seq=seq, prev=head)
        chain.add("fulfillment.order.released", "orders.order", order["id"], order["number"], {},
                  {"release": release_id, "automatic": True, "up_to": today,
                   "lines": [{"position": pos, "date": today, "quantity": qty}
                             for _l, pos, _p, qty in order["lines"]]})  # fmt: skip
        chain.add("orders.order.fulfillment_status_changed", "orders.order", order["id"],
                  order["number"],
                  {"fulfillment_status": {"from": "not_released", "to": "released"}},
                  {"release": release_id})  # fmt: skip
        self._append(cur, chain)

    def _insert(self, cur, model, rows: list[dict], *, returning: bool = True) -> list[int]:
        """One multi-row INSERT (... RETURNING id); columns the model added since this was
        written get their defaults."""
        table = model._meta.db_table
        if table not in self.extra:
            self.extra[table] = dict(zip(*column_defaults(model, tuple(rows[0])), strict=True))
        extra = self.extra[table]
        columns = [*rows[0], *extra]
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        params = [_param(row.get(c, extra.get(c))) for row in rows for c in columns]
        cur = self._exec(
            cur,
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join([marks] * len(rows))
            + (" RETURNING id" if returning else ""),
            params,
        )
        return [r[0] for r in cur.fetchall()] if returning else []

    def _append(self, cur, chain: _RawChain) -> None:
        """The chain's new events (one INSERT) and its head moved to the last (one upsert);
        on PostgreSQL one statement, the upsert a data-modifying CTE (as the services do)."""
        rows = chain.rows
        marks = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
        head = (
            "INSERT INTO audit_streamhead (stream, seq, hash) VALUES (%s, %s, %s) "
            "ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
        )
        events = (
            "INSERT INTO audit_event (stream, seq, action, object_type, object_id, object_repr, "
            "actor_id, actor_name, occurred_at, changes, data, prev_hash, hash) VALUES "
            + ", ".join([marks] * len(rows))
        )
        head_params = (chain.stream, chain.seq, chain.prev)
        event_params = [v for row in rows for v in row]
        if self.pg:
            self._exec(cur, f"WITH moved AS ({head}) {events}", [*head_params, *event_params])
            return
        self._exec(cur, events, event_params)
        self._exec(cur, head, head_params)

    def _begin(self, cur) -> None:
        self.control += 1  # psycopg sends BEGIN before the first statement
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")  # as Django's transaction_mode, so no lock upgrade

    def _commit(self, cur) -> None:
        self.control += 1
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
BREAKDOWN = {"auto": [], "auto_percent": "0", "manual_percent": "0", "order_percent": "0",
             "total_percent": "0"}  # fmt: skip


def _dec(value: Any) -> Decimal:
    """A number as Decimal (SQLite hands back floats and ints)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _param(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _new(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The "changes" of a created object: every value from None."""
    return {k: {"from": None, "to": v} for k, v in values.items()}


class _RawChain:
    def __init__(self, stream, actor, actor_name, at, *, seq: int = 0, prev: str = GENESIS):
        self.stream, self.actor, self.actor_name, self.at = stream, actor, actor_name, at
        self.seq, self.prev, self.rows = seq, prev, []

    def add(self, action, object_type, object_id, repr_, changes, data=None) -> None:
        self.seq += 1
        changes, data = jsonable(changes), jsonable(data or {})
        event = SimpleNamespace(
            stream=self.stream, seq=self.seq, action=action, object_type=object_type,
            object_id=str(object_id), object_repr=repr_[:200], actor_id=self.actor,
            actor_name=self.actor_name, occurred_at=self.at, changes=changes, data=data,
        )  # fmt: skip
        digest = event_hash(self.prev, hash_payload(event))
        self.rows.append((
            self.stream, self.seq, action, object_type, str(object_id), event.object_repr,
            self.actor, self.actor_name, self.at, json.dumps(changes, ensure_ascii=False),
            json.dumps(data, ensure_ascii=False), self.prev, digest,
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
