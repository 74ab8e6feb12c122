"""A local fake of LiqPay, monobank acquiring and Stripe on 127.0.0.1, for the tests.

One small threading HTTP server answers each provider's API the way its documentation
says (LiqPay checkout and `action=status`; monobank invoice create / status / merchant public
key; Stripe Checkout Sessions and the Events API), checking our keys. The tests make it act
as the provider would: `liqpay_callback`, `mono_webhook` and `stripe_webhook` change a
payment's state and return the delivery (body and headers) signed with the test keys — LiqPay
with the private key, monobank with a freshly generated EC key pair, Stripe with the endpoint
secret — for the tests to post to our webhook endpoint.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

NUMERIC = {"UAH": 980, "USD": 840, "EUR": 978}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeProvider:
    def __init__(
        self,
        *,
        liqpay_public: str = "sandbox_i_test",
        liqpay_private: str = "liqpay-test-private",
        mono_token: str = "mono-test-token",
        stripe_secret: str = "sk_test_fake",
        stripe_webhook_secret: str = "whsec_fake",
    ):
        self.liqpay_public = liqpay_public
        self.liqpay_private = liqpay_private
        self.mono_token = mono_token
        self.stripe_secret = stripe_secret
        self.stripe_webhook_secret = stripe_webhook_secret
        self.ec_key = ec.generate_private_key(ec.SECP256K1())
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.liqpay: dict[str, dict[str, Any]] = {}
        self.mono: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.idempotency: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_with: int | None = None  # answer every API call with this status
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.fake = self  # type: ignore[attr-defined]
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def settings(self, public_url: str = "http://testserver") -> dict[str, Any]:
        return {
            "PUBLIC_URL": public_url,
            "TIMEOUT": 5.0,
            "LINK_VALIDITY_HOURS": 72,
            "WEBHOOK_TOLERANCE": 300,
            "liqpay": {
                "BASE_URL": self.base_url,
                "PUBLIC_KEY": self.liqpay_public,
                "PRIVATE_KEY": self.liqpay_private,
                "SANDBOX": False,
            },
            "monobank": {"BASE_URL": self.base_url, "TOKEN": self.mono_token},
            "stripe": {
                "BASE_URL": self.base_url,
                "SECRET_KEY": self.stripe_secret,
                "WEBHOOK_SECRET": self.stripe_webhook_secret,
            },
        }

    def next_id(self) -> int:
        with self.lock:
            return next(self.ids)

    # --- LiqPay -------------------------------------------------------------------------------

    def liqpay_sign(self, data: str, key: str | None = None) -> str:
        key = self.liqpay_private if key is None else key
        return base64.b64encode(hashlib.sha1((key + data + key).encode()).digest()).decode()

    def liqpay_encode(self, params: dict[str, Any], key: str | None = None) -> tuple[str, str]:
        data = base64.b64encode(json.dumps(params).encode()).decode()
        return data, self.liqpay_sign(data, key)

    def liqpay_callback(
        self,
        order_id: str,
        status: str,
        *,
        amount: Decimal | str | None = None,
        currency: str = "UAH",
        payment_id: int | None = None,
        when: dt.datetime | None = None,
        key: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """LiqPay's server_url callback for the payment of `order_id` now in `status`."""
        with self.lock:
            state = self.liqpay.setdefault(
                order_id, {"payment_id": payment_id or 1_000_000 + next(self.ids)}
            )
            if payment_id is not None:
                state["payment_id"] = payment_id
            moment = when or dt.datetime.now(dt.UTC)
            state.update(
                {
                    "version": 3,
                    "public_key": self.liqpay_public,
                    "action": "pay",
                    "status": status,
                    "order_id": order_id,
                    "amount": float(Decimal(str(amount))) if amount is not None else 0.0,
                    "currency": currency,
                    "create_date": int(moment.timestamp() * 1000) - 1000,
                    "end_date": int(moment.timestamp() * 1000),
                    "description": "test",
                }
            )
            payload = dict(state)
        data, signature = self.liqpay_encode(payload, key)
        body = urlencode({"data": data, "signature": signature}).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded"}

    # --- monobank -----------------------------------------------------------------------------

    def mono_public_pem(self) -> bytes:
        return self.ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def mono_sign(self, body: bytes, key=None) -> str:
        key = key or self.ec_key
        return base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()

    def mono_webhook(
        self,
        invoice_id: str,
        status: str,
        *,
        amount: Decimal | None = None,
        currency: str | None = None,
        when: dt.datetime | None = None,
        key=None,
    ) -> tuple[bytes, dict[str, str]]:
        """monobank's webHookUrl delivery for the invoice now in `status`."""
        with self.lock:
            state = self.mono[invoice_id]
            moment = when or dt.datetime.now(dt.UTC)
            state["status"] = status
            state["modifiedDate"] = iso(moment) if when else self._mono_tick(state)
            if amount is not None:
                state["amount"] = int(Decimal(amount) * 100)
            if currency is not None:
                state["ccy"] = NUMERIC.get(currency, 999)
            if status == "success":
                state["finalAmount"] = state["amount"]
            payload = dict(state)
        body = json.dumps(payload).encode()
        return body, {"Content-Type": "application/json", "X-Sign": self.mono_sign(body, key)}

    def _mono_tick(self, state: dict[str, Any]) -> str:
        # modifiedDate grows with every change, like the bank's (second resolution + counter)
        state["_seq"] = state.get("_seq", 0) + 1
        base = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return iso(base)[:-1] + f".{state['_seq']:03d}Z"

    # --- Stripe -------------------------------------------------------------------------------

    def stripe_sign(self, body: bytes, timestamp: int | None = None, secret: str | None = None):
        timestamp = int(time.time()) if timestamp is None else timestamp
        secret = self.stripe_webhook_secret if secret is None else secret
        signature = hmac.new(
            secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        return f"t={timestamp},v1={signature}"

    def stripe_webhook(
        self,
        session_id: str,
        kind: str,
        *,
        payment_status: str | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
        when: dt.datetime | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A Stripe event about the Checkout Session, kept for the Events API and signed."""
        with self.lock:
            session = self.sessions[session_id]
            if payment_status is not None:
                session["payment_status"] = payment_status
            if amount is not None:
                session["amount_total"] = int(Decimal(amount) * 100)
            if currency is not None:
                session["currency"] = currency.lower()
            if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
                session["status"] = "complete"
                session["payment_intent"] = session["payment_intent"] or f"pi_{next(self.ids):08d}"
            if kind == "checkout.session.expired":
                session["status"] = "expired"
            moment = when or dt.datetime.now(dt.UTC)
            event = {
                "id": f"evt_{next(self.ids):010d}",
                "object": "event",
                "type": kind,
                "created": int(moment.timestamp()),
                "livemode": False,
                "data": {"object": dict(session)},
            }
            self.events.append(event)
        body = json.dumps(event).encode()
        return body, {
            "Content-Type": "application/json",
            "Stripe-Signature": self.stripe_sign(body, timestamp, secret),
        }

    def stripe_resign(self, body: bytes, **kwargs) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Stripe-Signature": self.stripe_sign(body, **kwargs),
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output quiet
        pass

    @property
    def fake(self) -> FakeProvider:
        return self.server.fake  # type: ignore[attr-defined]

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        body = self._body() if method == "POST" else b""
        fake = self.fake
        with fake.lock:
            fake.calls.append((method, url.path))
            fail = fake.fail_with
        if fail:
            return self._send(fail, {"error": {"message": "fake failure"}})
        try:
            handler = {
                ("GET", "/api/3/checkout"): self.liqpay_checkout,
                ("POST", "/api/request"): self.liqpay_request,
                ("POST", "/api/merchant/invoice/create"): self.mono_create,
                ("GET", "/api/merchant/invoice/status"): self.mono_status,
                ("GET", "/api/merchant/pubkey"): self.mono_pubkey,
                ("POST", "/v1/checkout/sessions"): self.stripe_create,
                ("GET", "/v1/events"): self.stripe_events,
            }[(method, url.path)]
        except KeyError:
            return self._send(404, {"error": {"message": "no such route"}})
        handler(query, body)

    # LiqPay
    def liqpay_checkout(self, query, body):
        data = query.get("data", [""])[0]
        if query.get("signature", [""])[0] != self.fake.liqpay_sign(data):
            return self._send(400, {"status": "error", "err_code": "invalid_signature"})
        self._send(200, b"<html>LiqPay checkout</html>", "text/html")

    def liqpay_request(self, query, body):
        form = parse_qs(body.decode())
        data = form.get("data", [""])[0]
        if form.get("signature", [""])[0] != self.fake.liqpay_sign(data):
            return self._send(200, {"result": "error", "err_code": "invalid_signature"})
        params = json.loads(base64.b64decode(data))
        with self.fake.lock:
            state = self.fake.liqpay.get(params.get("order_id"))
            state = dict(state) if state else None
        if params.get("action") != "status" or state is None:
            return self._send(
                200, {"result": "error", "status": "error", "err_code": "payment_not_found"}
            )
        self._send(200, {"result": "ok", **state})

    # monobank
    def _mono_auth(self) -> bool:
        if self.headers.get("X-Token") != self.fake.mono_token:
            self._send(403, {"errCode": "FORBIDDEN", "errText": "forbidden"})
            return False
        return True

    def mono_create(self, query, body):
        if not self._mono_auth():
            return None
        request = json.loads(body)
        invoice_id = f"p2_{self.fake.next_id():010d}"
        now = iso(dt.datetime.now(dt.UTC))
        with self.fake.lock:
            self.fake.mono[invoice_id] = {
                "invoiceId": invoice_id,
                "status": "created",
                "amount": request["amount"],
                "ccy": request.get("ccy", 980),
                "reference": request["merchantPaymInfo"]["reference"],
                "createdDate": now,
                "modifiedDate": now,
            }
        self._send(
            200,
            {"invoiceId": invoice_id, "pageUrl": f"{self.fake.base_url}/pay/{invoice_id}"},
        )

    def mono_status(self, query, body):
        if not self._mono_auth():
            return None
        with self.fake.lock:
            state = self.fake.mono.get(query.get("invoiceId", [""])[0])
            state = {k: v for k, v in state.items() if not k.startswith("_")} if state else None
        if state is None:
            return self._send(404, {"errCode": "NOT_FOUND", "errText": "invoice not found"})
        self._send(200, state)

    def mono_pubkey(self, query, body):
        if not self._mono_auth():
            return None
        self._send(200, {"key": base64.b64encode(self.fake.mono_public_pem()).decode()})

    # Stripe
    def _stripe_auth(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.fake.stripe_secret}":
            self._send(401, {"error": {"message": "Invalid API Key provided"}})
            return False
        return True

    def stripe_create(self, query, body):
        if not self._stripe_auth():
            return None
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        key = self.headers.get("Idempotency-Key", "")
        with self.fake.lock:
            if key and key in self.fake.idempotency:
                session = self.fake.sessions[self.fake.idempotency[key]]
                return self._send(200, session)
            session_id = f"cs_test_{next(self.fake.ids):012d}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"{self.fake.base_url}/c/pay/{session_id}",
                "client_reference_id": form.get("client_reference_id"),
                "metadata": {"orderdesk_link": form.get("metadata[orderdesk_link]")},
                "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                "currency": form["line_items[0][price_data][currency]"],
                "payment_status": "unpaid",
                "status": "open",
                "payment_intent": None,
                "created": int(time.time()),
                "expires_at": int(form.get("expires_at") or time.time() + 86000),
            }
            self.fake.sessions[session_id] = session
            if key:
                self.fake.idempotency[key] = session_id
        self._send(200, session)

    def stripe_events(self, query, body):
        if not self._stripe_auth():
            return None
        types = set(query.get("types[]", []))
        since = int(query.get("created[gte]", ["0"])[0])
        limit = int(query.get("limit", ["10"])[0])
        after = query.get("starting_after", [""])[0]
        with self.fake.lock:
            events = [
                e
                for e in reversed(self.fake.events)
                if (not types or e["type"] in types) and e["created"] >= since
            ]
        if after:
            ids = [e["id"] for e in events]
            events = events[ids.index(after) + 1 :] if after in ids else []
        page = events[:limit]
        self._send(
            200,
            {"object": "list", "data": page, "has_more": len(events) > limit, "url": "/v1/events"},
        )
