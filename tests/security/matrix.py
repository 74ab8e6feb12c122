"""The authorization matrix: for every route of the project, who may read it and who may write.

HOW TO ADD A ROUTE (test_matrix.py fails until you do)
-----------------------------------------------------
1. Run `pytest tests/security/test_matrix.py -k declared`: it prints every undeclared route
   under the exact key to use here (the URL pattern as Django's resolver spells it, with the
   include prefixes: "orders/<int:pk>/confirm/", "api/v1/^products/(?P<pk>[^/.]+)/$").
2. Add `"<key>": Route(...)` to ROUTES in the section of its app:
   - `params`: what each URL parameter names — a record of the test world (tests/security/
     world.py: "order", "line", "customer", "contact", "contract", "template" are per owner;
     "product", "price_list", ... are shared) or a fixed value `lit("invoices")`;
     `query`: the same for query-string parameters the view needs (`?customer=`).
   - `read`: who gets GET; `write`: who gets the route's writes (POST/PUT/PATCH/DELETE);
     `methods={"delete": who}` overrides one method. A route that serves several kinds of
     record with different readers (billing/<slug>/<pk>/) is a tuple of Routes, one per kind.
   - `body`: for a write whose empty body is refused as invalid (400) before any permission
     is checked, a body valid enough to reach the permission check (`ref("product")` is the
     id of a world record). Without it a refused-as-invalid write counts as allowed.
   Write each as a `Who`: roles, and for a route about one record, whose records
   (OWN / COLLEAGUE / OTHER, see world.py). Use the named sets below; add one if a rule is new.
3. "Allowed" means the user got past the permission checks: 2xx, a redirect that is not the
   log-in page, 400 (the empty body is refused) or 409 (the state refuses). "Refused" means
   401, 403, 404 (not visible), 405, a redirect to a log-in page, a 400 with a code ending in
   `_unknown` / `_not_found` (a record named in the body that the user may not see is
   unknown, as one that does not exist), or a redirect carrying an error message whose code
   is a refusal (`… (billing_not_permitted)`: pages that show refusals on the page they send
   back to). A 5xx fails the test.
4. A later app adding a record kind (a shipment, an approval) adds its builder to
   world.EXTRA_BUILDERS (see world.py) and its routes here.

Routes under admin/ follow ADMIN_SITE and ADMIN_MODELS (Django's admin: staff only, and the
administrator is the only staff; a new ModelAdmin adds its model to ADMIN_MODELS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .world import COLLEAGUE, OTHER, OWN, ROLES, SCOPES

EVERY = frozenset(SCOPES)


@dataclass(frozen=True)
class Who:
    """Role -> the scopes (whose records) that role is allowed on."""

    allowed: tuple[tuple[str, frozenset[str]], ...] = ()

    def allows(self, role: str, scope: str | None) -> bool:
        scopes = dict(self.allowed).get(role, frozenset())
        return bool(scopes) if scope is None else scope in scopes

    def __or__(self, other: Who) -> Who:
        merged: dict[str, frozenset[str]] = dict(self.allowed)
        for role, scopes in other.allowed:
            merged[role] = merged.get(role, frozenset()) | scopes
        return Who(tuple(sorted(merged.items())))


def who(**roles: Any) -> Who:
    """who(sales_manager={OWN}, administrator=EVERY); a role given True gets EVERY."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")
    return Who(
        tuple(
            sorted(
                (role, EVERY if scopes is True else frozenset(scopes))
                for role, scopes in roles.items()
                if scopes
            )
        )
    )


def roles(*names: str) -> Who:
    return who(**dict.fromkeys(names, True))


@dataclass(frozen=True)
class Lit:
    value: str


def lit(value: Any) -> Lit:
    return Lit(str(value))


@dataclass(frozen=True)
class Upload:
    """In a body: a file (the write is then sent as multipart/form-data)."""

    name: str
    content: str


@dataclass(frozen=True)
class Ref:
    """In a request body: the id of a world record (whose, by the request's scope)."""

    name: str


def ref(name: str) -> Ref:
    return Ref(name)


@dataclass(frozen=True)
class Route:
    read: Who = field(default_factory=Who)
    write: Who = field(default_factory=Who)
    params: dict[str, str | Lit] = field(default_factory=dict)
    query: dict[str, str | Lit] = field(default_factory=dict)
    methods: dict[str, Who] = field(default_factory=dict)
    # the body of the writes (JSON for the API, form fields for pages): valid enough to get
    # past the input checks to the permission checks; `ref("product")` is a record's id
    body: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def expected(self, method: str) -> Who:
        if method in self.methods:
            return self.methods[method]
        return self.read if method == "get" else self.write


# --- who: the named sets -------------------------------------------------------------------

NOBODY = Who()
SIGNED_IN = roles(*ROLES[1:])
PUBLIC = roles(*ROLES)
ADMIN = roles("administrator")
SEE_ALL = roles("credit_controller", "accountant", "administrator")
# the book of a sales role: the manager's own customers, the head's own and the team's
SALES_BOOK = who(sales_manager={OWN}, sales_head={OWN, COLLEAGUE})
SELLERS = roles("sales_manager", "sales_head", "administrator")
# orders.permissions.order_scope: the warehouse sees released orders (the world's are)
ORDER_READERS = SALES_BOOK | SEE_ALL | roles("warehouse")
# can_edit_order / can_sell_to
ORDER_EDITORS = SALES_BOOK | ADMIN
# customers.selectors.customer_scope
CUSTOMER_READERS = SALES_BOOK | SEE_ALL
CUSTOMER_VIEWER_ROLES = roles(
    "sales_manager", "sales_head", "credit_controller", "accountant", "administrator"
)
# customers.selectors.can_edit_customer (a manager: the contact details of own customers)
CUSTOMER_EDITORS = SALES_BOOK | ADMIN
# customers.selectors.can_edit_contracts: administrators and the head of the customer's team
CONTRACT_EDITORS = who(sales_head={OWN, COLLEAGUE}) | ADMIN
# pricing.selectors.can_view_prices: not the warehouse
PRICE_VIEWERS = roles(
    "sales_manager", "sales_head", "credit_controller", "accountant", "administrator"
)
# order templates: own (and shared) for sellers, every one for the administrator
TEMPLATE_OWNERS = who(sales_manager={OWN}, sales_head={OWN}) | ADMIN

# billing.permissions: accountants and administrators keep the books; credit controllers read
# everything; sellers read the documents and payments of their book; the warehouse reads the
# delivery notes of released orders
ACCOUNTING = roles("accountant", "administrator")
BILLING_READERS = SALES_BOOK | SEE_ALL
BILLING_VIEWER_ROLES = roles(
    "sales_manager", "sales_head", "credit_controller", "accountant", "administrator"
)
DELIVERY_NOTE_READERS = BILLING_READERS | roles("warehouse")

# payments.permissions: accountants and administrators manage links, holds, intermediaries
# and payout reports; credit controllers read everything; sellers see the links of their book
PAYMENT_VIEWER_ROLES = BILLING_VIEWER_ROLES
# reports.permissions: every role but the warehouse runs reports (scoped to what it sees)
REPORT_ROLES = roles(
    "sales_manager", "sales_head", "credit_controller", "accountant", "administrator"
)
# credit: credit controllers and administrators keep limits, holds and blocks
CREDIT_KEEPERS = roles("credit_controller", "administrator")
# orders.views.approval_panels.order_credit_panel: who sees an order's credit exposure
CREDIT_READERS = SALES_BOOK | CREDIT_KEEPERS
# fulfillment.permissions
STOCK_KEEPERS = roles("warehouse", "administrator")
SHIPPERS = roles("warehouse", "accountant", "administrator")
RELEASERS = who(sales_head={OWN, COLLEAGUE}) | ADMIN
COMMENT = {"comment": "security probe"}
# A record kind the world does not build yet: the route is exercised with an id that does not
# exist, which proves only that nobody reaches a missing record and that nothing answers 5xx.
MISSING = lit(0)

ORDER = {"pk": "order"}
CODE_NAME = {"code": "SEC", "name": "Security probe"}
ONE_LINE = {"product": ref("product"), "quantity": "1"}
NEW_ORDER = {"customer": ref("customer"), "lines": [ONE_LINE]}
LINE = {"pk": "order", "line_pk": "line"}
CUSTOMER = {"pk": "customer"}


# one page per document type under billing/<slug>/<pk>/, each with its own readers
DOCUMENT_PAGES = (
    Route(read=BILLING_READERS, params={"slug": lit("invoices"), "pk": "invoice"}),
    Route(
        read=DELIVERY_NOTE_READERS, params={"slug": lit("delivery-notes"), "pk": "delivery_note"}
    ),
    Route(read=BILLING_READERS, params={"slug": lit("credit-notes"), "pk": "credit_note"}),
    Route(read=BILLING_READERS, params={"slug": lit("cash-receipts"), "pk": "cash_receipt"}),
)


def document_api(
    prefix: str, record: str, readers: Who, create: dict, lister: Who = BILLING_VIEWER_ROLES
) -> dict[str, Route]:
    """The five API routes of a billing document type."""
    one = {"pk": record}
    base = f"api/v1/{prefix}/"
    return {
        # billing.permissions.can_view_billing: as the pages, the warehouse only delivery notes
        base: Route(read=lister, write=ACCOUNTING, body=create),
        base + "<int:pk>/": Route(read=readers, write=ACCOUNTING, params=one),
        base + "<int:pk>/post/": Route(write=ACCOUNTING, params=one),
        base + "<int:pk>/reverse/": Route(
            write=ACCOUNTING, params=one, body={"reason": "security probe"}
        ),
        base + "<int:pk>/pdf/": Route(read=readers, params=one),
    }


ROUTES: dict[str, Route | tuple[Route, ...]] = {
    # --- the site ----------------------------------------------------------------------------
    "": Route(read=PUBLIC, write=PUBLIC, note="any method: a redirect to the order list"),
    "login/": Route(read=PUBLIC, write=PUBLIC, note="the empty form is refused with 200"),
    "logout/": Route(write=PUBLIC, note="POST only; logs out whoever asks"),
    "i18n/setlang/": Route(read=PUBLIC, write=PUBLIC, note="a redirect; POST sets the language"),
    # the API schema and its viewers are public: the shape of the API is no secret, the data is
    "api/schema/": Route(read=PUBLIC),
    "api/docs/": Route(read=PUBLIC),
    "api/redoc/": Route(read=PUBLIC),
    # --- orders: pages -------------------------------------------------------------------------
    "orders/": Route(read=SIGNED_IN),
    "orders/new/": Route(read=SELLERS, write=SELLERS),
    "orders/new/terms/": Route(
        read=SIGNED_IN,
        query={"customer": "customer"},
        note="terms of a customer the user sells to; anyone else gets the empty form",
    ),
    "orders/new/line-row/": Route(read=SIGNED_IN),
    "orders/lookup/customers/": Route(read=SIGNED_IN, note="options scoped like the customers"),
    "orders/lookup/products/": Route(read=SIGNED_IN),
    "orders/templates/": Route(read=SELLERS),
    "orders/templates/<int:pk>/use/": Route(
        read=TEMPLATE_OWNERS, write=TEMPLATE_OWNERS, params={"pk": "template"}
    ),
    "orders/templates/<int:pk>/delete/": Route(write=TEMPLATE_OWNERS, params={"pk": "template"}),
    "orders/<int:pk>/": Route(read=ORDER_READERS, params=ORDER),
    "orders/<int:pk>/terms/": Route(write=ORDER_EDITORS, params=ORDER),
    "orders/<int:pk>/lines/add/": Route(
        write=ORDER_EDITORS,
        params=ORDER,
        body={"add-product": ref("product"), "add-quantity": "1"},
    ),
    "orders/<int:pk>/lines/<int:line_pk>/": Route(
        write=ORDER_EDITORS, params=LINE, body={"quantity": "2"}
    ),
    "orders/<int:pk>/lines/<int:line_pk>/remove/": Route(write=ORDER_EDITORS, params=LINE),
    "orders/<int:pk>/lines/<int:line_pk>/schedule/": Route(write=ORDER_EDITORS, params=LINE),
    "orders/<int:pk>/confirm/": Route(write=ORDER_EDITORS, params=ORDER),
    "orders/<int:pk>/cancel/": Route(
        write=ORDER_EDITORS, params=ORDER, body={"reason": ref("cancellation_reason")}
    ),
    "orders/<int:pk>/close/": Route(write=ORDER_EDITORS, params=ORDER),
    "orders/<int:pk>/copy/": Route(write=ORDER_EDITORS, params=ORDER),
    "orders/<int:pk>/save-template/": Route(write=ORDER_EDITORS, params=ORDER),
    "orders/<int:pk>/amend/": Route(read=ORDER_EDITORS, write=ORDER_EDITORS, params=ORDER),
    # --- orders: API ---------------------------------------------------------------------------
    "api/v1/orders/": Route(read=SIGNED_IN, write=ORDER_EDITORS, body=NEW_ORDER),
    "api/v1/orders/<int:pk>/": Route(read=ORDER_READERS, write=ORDER_EDITORS, params=ORDER),
    "api/v1/orders/<int:pk>/lines/": Route(write=ORDER_EDITORS, params=ORDER, body=ONE_LINE),
    "api/v1/orders/<int:pk>/lines/<int:line_id>/": Route(
        write=ORDER_EDITORS, params={"pk": "order", "line_id": "line"}
    ),
    "api/v1/orders/<int:pk>/confirm/": Route(write=ORDER_EDITORS, params=ORDER),
    "api/v1/orders/<int:pk>/cancel/": Route(
        write=ORDER_EDITORS, params=ORDER, body={"reason": ref("cancellation_reason")}
    ),
    "api/v1/orders/<int:pk>/close/": Route(write=ORDER_EDITORS, params=ORDER),
    "api/v1/orders/<int:pk>/amendments/": Route(
        write=ORDER_EDITORS, params=ORDER, body={"reason": "security probe", "add": [ONE_LINE]}
    ),
    "api/v1/orders/<int:pk>/copy/": Route(write=ORDER_EDITORS, params=ORDER),
    "api/v1/orders/<int:pk>/timeline/": Route(read=ORDER_READERS, params=ORDER),
    "api/v1/orders/<int:pk>/save-as-template/": Route(write=ORDER_EDITORS, params=ORDER),
    "api/v1/order-templates/": Route(
        read=SIGNED_IN, write=SELLERS, body={"name": "Проба", "lines": [ONE_LINE]}
    ),
    "api/v1/order-templates/<int:pk>/": Route(
        read=TEMPLATE_OWNERS, write=TEMPLATE_OWNERS, params={"pk": "template"}
    ),
    "api/v1/order-templates/<int:pk>/create-order/": Route(
        write=TEMPLATE_OWNERS, params={"pk": "template"}
    ),
    "api/v1/cancellation-reasons/": Route(read=SIGNED_IN),
    # the panel is for roles that work with prices; the API gives the others an empty list
    "orders/<int:pk>/deviations/": Route(read=SALES_BOOK | SEE_ALL, params=ORDER),
    "orders/term-rights/": Route(read=ADMIN, write=ADMIN),
    "api/v1/orders/<int:pk>/deviations/": Route(read=ORDER_READERS, params=ORDER),
    "api/v1/term-rights/": Route(
        read=ADMIN, write=ADMIN, body={"rights": {"sales_manager": ["price"]}}
    ),
    # --- customers -----------------------------------------------------------------------------
    "customers/": Route(read=CUSTOMER_VIEWER_ROLES),
    "customers/new/": Route(read=SELLERS, write=SELLERS),
    "customers/<int:pk>/": Route(read=CUSTOMER_READERS, params=CUSTOMER),
    "customers/<int:pk>/edit/": Route(
        read=CUSTOMER_EDITORS, write=CUSTOMER_EDITORS, params=CUSTOMER
    ),
    "customers/<int:pk>/contacts/new/": Route(
        read=CUSTOMER_EDITORS, write=CUSTOMER_EDITORS, params=CUSTOMER
    ),
    "customers/<int:pk>/contacts/<int:contact_pk>/edit/": Route(
        read=CUSTOMER_EDITORS,
        write=CUSTOMER_EDITORS,
        params={"pk": "customer", "contact_pk": "contact"},
    ),
    "customers/<int:pk>/contacts/<int:contact_pk>/delete/": Route(
        write=CUSTOMER_EDITORS, params={"pk": "customer", "contact_pk": "contact"}
    ),
    "api/v1/^customers/$": Route(
        read=CUSTOMER_VIEWER_ROLES,
        write=SELLERS,
        body={"legal_name": "ТОВ «Проба»", "short_name": "Проба", "tax_id": "39999999"},
    ),
    "api/v1/^customers/(?P<pk>[^/.]+)/$": Route(
        read=CUSTOMER_READERS, write=CUSTOMER_EDITORS, params=CUSTOMER
    ),
    "api/v1/customers/<int:customer_pk>/contacts/": Route(
        read=CUSTOMER_READERS,
        write=CUSTOMER_EDITORS,
        params={"customer_pk": "customer"},
        body={"name": "Проба"},
    ),
    "api/v1/customers/<int:customer_pk>/contacts/<int:pk>/": Route(
        read=CUSTOMER_READERS,
        write=CUSTOMER_EDITORS,
        params={"customer_pk": "customer", "pk": "contact"},
    ),
    "api/v1/^customer-groups/$": Route(read=SIGNED_IN, write=ADMIN, body=CODE_NAME),
    "api/v1/^customer-groups/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, write=ADMIN, params={"pk": "customer_group"}
    ),
    "api/v1/^sales-teams/$": Route(read=SIGNED_IN),
    "api/v1/^sales-teams/(?P<pk>[^/.]+)/$": Route(read=SIGNED_IN, params={"pk": "sales_team"}),
    "api/v1/^payment-terms/$": Route(
        read=SIGNED_IN,
        write=ADMIN,
        body={
            **CODE_NAME,
            "instalments": [{"share_percent": "100", "trigger": "after_invoice", "days": 5}],
        },
    ),
    "api/v1/^payment-terms/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, write=ADMIN, params={"pk": "payment_terms"}
    ),
    "api/v1/^payment-methods/$": Route(
        read=SIGNED_IN, write=ADMIN, body={**CODE_NAME, "kind": "bank_transfer"}
    ),
    "api/v1/^payment-methods/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, write=ADMIN, params={"pk": "payment_method"}
    ),
    "api/v1/^delivery-methods/$": Route(read=SIGNED_IN, write=ADMIN, body=CODE_NAME),
    "api/v1/^delivery-methods/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, write=ADMIN, params={"pk": "delivery_method"}
    ),
    # --- catalogue -----------------------------------------------------------------------------
    "catalog/products/": Route(read=SIGNED_IN),
    "catalog/products/<int:pk>/": Route(read=SIGNED_IN, params={"pk": "product"}),
    "api/v1/^products/$": Route(
        read=SIGNED_IN, write=ADMIN, body={"sku": "SEC-1", "name": "Security probe"}
    ),
    "api/v1/^products/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, write=ADMIN, params={"pk": "product"}
    ),
    "api/v1/^product-groups/$": Route(read=SIGNED_IN, write=ADMIN, body=CODE_NAME),
    "api/v1/^product-groups/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, write=ADMIN, params={"pk": "product_group"}
    ),
    "api/v1/^warehouses/$": Route(read=SIGNED_IN, write=ADMIN, body=CODE_NAME),
    "api/v1/^warehouses/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, write=ADMIN, params={"pk": "warehouse"}
    ),
    # --- pricing -------------------------------------------------------------------------------
    "pricing/contracts/new/": Route(
        read=CONTRACT_EDITORS, write=CONTRACT_EDITORS, query={"customer": "customer"}
    ),
    "pricing/contracts/<int:pk>/edit/": Route(
        read=CONTRACT_EDITORS, write=CONTRACT_EDITORS, params={"pk": "contract"}
    ),
    "pricing/price-lists/": Route(read=PRICE_VIEWERS),
    "pricing/price-lists/<int:pk>/": Route(read=PRICE_VIEWERS, params={"pk": "price_list"}),
    "pricing/price-lists/<int:pk>/items/new/": Route(
        read=ADMIN, write=ADMIN, params={"pk": "price_list"}
    ),
    "pricing/price-lists/<int:pk>/items/<int:item_pk>/edit/": Route(
        read=ADMIN, write=ADMIN, params={"pk": "price_list", "item_pk": "price_item"}
    ),
    "api/v1/^contracts/$": Route(
        read=CUSTOMER_VIEWER_ROLES,
        write=CONTRACT_EDITORS,
        body={
            "customer": ref("customer"),
            "number": "SEC/1",
            "date": "2026-01-01",
            "payment_terms": ref("payment_terms"),
            "payment_method": ref("payment_method"),
        },
    ),
    "api/v1/^contracts/(?P<pk>[^/.]+)/$": Route(
        read=CUSTOMER_READERS, write=CONTRACT_EDITORS, params={"pk": "contract"}
    ),
    "api/v1/^price-lists/$": Route(
        read=PRICE_VIEWERS, write=ADMIN, body={**CODE_NAME, "currency": "UAH"}
    ),
    "api/v1/^price-lists/(?P<pk>[^/.]+)/$": Route(
        read=PRICE_VIEWERS, write=ADMIN, params={"pk": "price_list"}
    ),
    "api/v1/price-lists/<int:price_list_pk>/items/": Route(
        read=PRICE_VIEWERS,
        write=ADMIN,
        params={"price_list_pk": "price_list"},
        body={"product": ref("product"), "price": "1", "valid_from": "2031-01-01"},
    ),
    "api/v1/price-lists/<int:price_list_pk>/items/<int:pk>/": Route(
        read=PRICE_VIEWERS, write=ADMIN, params={"price_list_pk": "price_list", "pk": "price_item"}
    ),
    "api/v1/contracts/<int:contract_pk>/prices/": Route(
        read=CUSTOMER_READERS,
        write=CONTRACT_EDITORS,
        params={"contract_pk": "contract"},
        body={"product": ref("product"), "price": "80", "valid_from": "2031-01-01"},
    ),
    "api/v1/contracts/<int:contract_pk>/prices/<int:pk>/": Route(
        read=CUSTOMER_READERS,
        write=CONTRACT_EDITORS,
        params={"contract_pk": "contract", "pk": "contract_price"},
    ),
    "api/v1/pricing-limits/": Route(
        read=PRICE_VIEWERS, write=ADMIN, body={"min_margin_percent": "5"}
    ),
    "api/v1/discount-caps/": Route(
        read=PRICE_VIEWERS, write=ADMIN, body={"caps": {"sales_manager": "7"}}
    ),
    "api/v1/price-lists/<int:price_list_pk>/imports/": Route(
        write=ADMIN,
        params={"price_list_pk": "price_list"},
        body={"file": Upload("prices.csv", "sku;price;min_quantity;valid_from;valid_to\n")},
    ),
    "api/v1/price-lists/<int:price_list_pk>/imports/<int:pk>/apply/": Route(
        write=ADMIN, params={"price_list_pk": "price_list", "pk": "price_import"}
    ),
    "api/v1/price-lists/<int:price_list_pk>/export/": Route(
        read=PRICE_VIEWERS, params={"price_list_pk": "price_list"}
    ),
    "api/v1/^discount-policies/$": Route(
        read=PRICE_VIEWERS,
        write=ADMIN,
        body={
            "code": "SEC9",
            "name": "Проба",
            "kind": "customer_group",
            "percent": "3",
            "customer_group": ref("customer_group"),
        },
    ),
    "api/v1/^discount-policies/(?P<pk>[^/.]+)/$": Route(
        read=PRICE_VIEWERS, write=ADMIN, params={"pk": "discount_policy"}
    ),
    "api/v1/^discount-budgets/$": Route(
        read=PRICE_VIEWERS,
        write=ADMIN,
        body={
            "manager": ref("some_user"),
            "period_start": "2026-12-01",
            "period_end": "2026-12-31",
            "amount": "100",
        },
    ),
    "api/v1/^discount-budgets/(?P<pk>[^/.]+)/$": Route(
        read=PRICE_VIEWERS, write=ADMIN, params={"pk": "discount_budget"}
    ),
    "pricing/contracts/<int:pk>/prices/": Route(
        read=CUSTOMER_READERS, write=CONTRACT_EDITORS, params={"pk": "contract"}
    ),
    "pricing/discounts/": Route(read=PRICE_VIEWERS),
    "pricing/price-lists/<int:pk>/export/": Route(read=PRICE_VIEWERS, params={"pk": "price_list"}),
    "pricing/price-lists/<int:pk>/import/": Route(
        read=ADMIN, write=ADMIN, params={"pk": "price_list"}
    ),
    "pricing/price-lists/<int:pk>/import/<int:import_pk>/apply/": Route(
        write=ADMIN, params={"pk": "price_list", "import_pk": "price_import"}
    ),
    # --- billing: documents, payments, allocations (pages) ------------------------------------
    "billing/": Route(read=SIGNED_IN, note="the warehouse sees the delivery notes tab only"),
    "billing/payments/": Route(read=BILLING_VIEWER_ROLES),
    "billing/payments/new/": Route(read=ACCOUNTING, write=ACCOUNTING),
    "billing/payments/import/": Route(read=ACCOUNTING, write=ACCOUNTING),
    "billing/payments/<int:pk>/": Route(read=BILLING_READERS, params={"pk": "payment"}),
    "billing/payments/<int:pk>/allocate/": Route(
        write=ACCOUNTING,
        params={"pk": "payment"},
        body={"amount_1": "1"},
    ),
    "billing/payments/<int:pk>/reverse/": Route(
        write=ACCOUNTING, params={"pk": "payment"}, body={"reason": "security probe"}
    ),
    "billing/allocations/<int:pk>/cancel/": Route(write=ACCOUNTING, params={"pk": "allocation"}),
    "billing/cash-receipts/new/": Route(read=ACCOUNTING, write=ACCOUNTING),
    "billing/orders/<int:pk>/prepayment-invoice/": Route(
        write=ACCOUNTING | ORDER_EDITORS, params=ORDER
    ),
    "billing/orders/<int:pk>/invoice/": Route(write=ACCOUNTING, params=ORDER),
    "billing/customers/<int:pk>/statement.pdf": Route(read=BILLING_READERS, params=CUSTOMER),
    "billing/<slug:slug>/<int:pk>/": DOCUMENT_PAGES,
    "billing/<slug:slug>/<int:pk>/post/": tuple(
        Route(write=ACCOUNTING, params=r.params) for r in DOCUMENT_PAGES
    ),
    "billing/<slug:slug>/<int:pk>/reverse/": tuple(
        Route(write=ACCOUNTING, params=r.params, body={"reason": "security probe"})
        for r in DOCUMENT_PAGES
    ),
    "billing/<slug:slug>/<int:pk>/delete/": tuple(
        Route(write=ACCOUNTING, params=r.params) for r in DOCUMENT_PAGES
    ),
    "billing/<slug:slug>/<int:pk>/pdf/": DOCUMENT_PAGES,
    # --- billing: API ----------------------------------------------------------------------------
    **document_api(
        "invoices", "invoice", BILLING_READERS, {"order": ref("order"), "kind": "order"}
    ),
    **document_api(
        "delivery-notes",
        "delivery_note",
        DELIVERY_NOTE_READERS,
        {"order": ref("order"), "lines": [{"line": ref("line"), "quantity": "1"}]},
        lister=SIGNED_IN,
    ),
    **document_api(
        "credit-notes",
        "credit_note",
        BILLING_READERS,
        {"order": ref("order"), "reason": "correction", "amount": "1", "invoice": ref("invoice")},
    ),
    **document_api(
        "cash-receipts",
        "cash_receipt",
        BILLING_READERS,
        {"customer": ref("customer"), "amount": "1"},
    ),
    "api/v1/payments/": Route(
        read=BILLING_VIEWER_ROLES,
        write=ACCOUNTING,
        body={"customer": ref("customer"), "amount": "1"},
    ),
    "api/v1/payments/import/": Route(
        write=ACCOUNTING,
        body={
            "data": "date,amount\n2026-03-02,1\n",
            "mapping": {"date": "date", "amount": "amount"},
        },
    ),
    "api/v1/payments/<int:pk>/": Route(read=BILLING_READERS, params={"pk": "payment"}),
    "api/v1/payments/<int:pk>/reverse/": Route(
        write=ACCOUNTING, params={"pk": "payment"}, body={"reason": "security probe"}
    ),
    "api/v1/allocations/": Route(
        read=BILLING_VIEWER_ROLES,
        write=ACCOUNTING,
        body={"debit": ref("invoice_item"), "credit": ref("payment_item"), "amount": "1"},
    ),
    "api/v1/allocations/<int:pk>/cancel/": Route(write=ACCOUNTING, params={"pk": "allocation"}),
    "api/v1/open-items/": Route(read=BILLING_VIEWER_ROLES),
    "api/v1/customers/<int:pk>/statement/": Route(read=BILLING_READERS, params=CUSTOMER),
    "api/v1/customers/<int:pk>/statement/pdf/": Route(read=BILLING_READERS, params=CUSTOMER),
    # --- receivables (the ledger's pages) -------------------------------------------------------
    "receivables/open-items/": Route(read=BILLING_VIEWER_ROLES),
    "receivables/customers/<int:pk>/statement/": Route(read=BILLING_READERS, params=CUSTOMER),
    # --- payments (providers, intermediaries) -------------------------------------------------
    "payments/": Route(read=PAYMENT_VIEWER_ROLES),
    "payments/links/<int:pk>/": Route(params={"pk": MISSING}, note="TODO world: a payment link"),
    "payments/invoices/<int:pk>/": Route(read=BILLING_READERS, params={"pk": "invoice"}),
    "payments/invoices/<int:pk>/links/": Route(
        write=ACCOUNTING | ORDER_EDITORS, params={"pk": "invoice"}, body={"provider": "liqpay"}
    ),
    "payments/review/": Route(read=ACCOUNTING | roles("credit_controller")),
    "payments/holds/<int:pk>/apply/": Route(params={"pk": MISSING}, note="TODO world: a hold"),
    "payments/holds/<int:pk>/dismiss/": Route(params={"pk": MISSING}, note="TODO world: a hold"),
    "payments/payout-lines/<int:pk>/match/": Route(
        params={"pk": MISSING}, note="TODO world: a payout line"
    ),
    "payments/payout-lines/<int:pk>/dismiss/": Route(
        params={"pk": MISSING}, note="TODO world: a payout line"
    ),
    "payments/intermediaries/": Route(read=ACCOUNTING | roles("credit_controller")),
    "payments/intermediaries/new/": Route(read=ACCOUNTING, write=ACCOUNTING),
    "payments/intermediaries/<int:pk>/": Route(
        read=ACCOUNTING | roles("credit_controller"), params={"pk": "intermediary"}
    ),
    "payments/intermediaries/<int:pk>/edit/": Route(
        read=ACCOUNTING, write=ACCOUNTING, params={"pk": "intermediary"}
    ),
    "payments/intermediaries/<int:pk>/import/": Route(
        read=ACCOUNTING, write=ACCOUNTING, params={"pk": "intermediary"}
    ),
    "payments/payout-reports/<int:pk>/": Route(
        params={"pk": MISSING}, note="TODO world: a payout report"
    ),
    "payments/payout-reports/<int:pk>/pdf/": Route(
        params={"pk": MISSING}, note="TODO world: a payout report"
    ),
    # the providers' side: no log-in; an unsigned webhook is refused, whoever sends it
    "payments/webhooks/<slug:provider>/": Route(params={"provider": lit("liqpay")}),
    "payments/return/<slug:reference>/": Route(
        params={"reference": lit("no-such-link")}, note="TODO world: a payment link"
    ),
    "api/v1/payment-links/": Route(
        read=SIGNED_IN,
        write=ACCOUNTING | ORDER_EDITORS,
        body={"invoice": ref("invoice"), "provider": "liqpay"},
    ),
    "api/v1/payment-links/<int:pk>/": Route(
        params={"pk": MISSING}, note="TODO world: a payment link"
    ),
    "api/v1/payment-holds/": Route(read=SIGNED_IN),
    "api/v1/payment-holds/<int:pk>/apply/": Route(params={"pk": MISSING}),
    "api/v1/payment-holds/<int:pk>/dismiss/": Route(params={"pk": MISSING}),
    "api/v1/intermediaries/": Route(
        read=ACCOUNTING | roles("credit_controller"),
        write=ACCOUNTING,
        body={"code": "SEC", "name": "Проба"},
    ),
    "api/v1/intermediaries/<int:pk>/": Route(
        read=ACCOUNTING | roles("credit_controller"),
        write=ACCOUNTING,
        params={"pk": "intermediary"},
    ),
    "api/v1/intermediaries/<int:pk>/payout-reports/": Route(
        write=ACCOUNTING, params={"pk": "intermediary"}
    ),
    "api/v1/payout-reports/<int:pk>/": Route(params={"pk": MISSING}),
    "api/v1/payout-reports/<int:pk>/pdf/": Route(params={"pk": MISSING}),
    "api/v1/payout-lines/": Route(read=SIGNED_IN),
    "api/v1/payout-lines/<int:pk>/match/": Route(params={"pk": MISSING}),
    "api/v1/payout-lines/<int:pk>/dismiss/": Route(params={"pk": MISSING}),
    # --- reports -------------------------------------------------------------------------------
    "reports/": Route(read=SIGNED_IN, note="the warehouse sees its dashboard, no report"),
    "reports/variants/<int:pk>/delete/": Route(
        write=who(sales_manager={OWN}, sales_head={OWN}), params={"pk": "report_variant"}
    ),
    "reports/<slug:slug>/": Route(read=REPORT_ROLES, params={"slug": lit("order-states")}),
    "reports/<slug:slug>/drill/": Route(read=REPORT_ROLES, params={"slug": lit("order-states")}),
    "reports/<slug:slug>/export/<slug:fmt>/": Route(
        read=REPORT_ROLES, params={"slug": lit("order-states"), "fmt": lit("csv")}
    ),
    "reports/<slug:slug>/variants/": Route(
        write=REPORT_ROLES, params={"slug": lit("order-states")}, body={"name": "Проба"}
    ),
    "api/v1/reports/": Route(read=REPORT_ROLES),
    "api/v1/reports/dashboard/": Route(read=SIGNED_IN),
    "api/v1/reports/variants/": Route(
        read=REPORT_ROLES,
        write=REPORT_ROLES,
        body={"report": "order_states", "name": "Проба", "params": {}},
    ),
    "api/v1/reports/variants/<int:pk>/": Route(
        read=who(sales_manager={OWN}, sales_head={OWN}),
        write=who(sales_manager={OWN}, sales_head={OWN}),
        params={"pk": "report_variant"},
    ),
    "api/v1/reports/<slug:name>/": Route(read=REPORT_ROLES, params={"name": lit("order-states")}),
    "api/v1/reports/<slug:name>/export/<slug:fmt>/": Route(
        read=REPORT_ROLES, params={"name": lit("order-states"), "fmt": lit("csv")}
    ),
    # --- approvals and credit on the order ------------------------------------------------------
    "orders/<int:pk>/submit/": Route(write=ORDER_EDITORS, params=ORDER),
    "orders/<int:pk>/submit/preview/": Route(read=ORDER_READERS, params=ORDER),
    "orders/<int:pk>/return/": Route(write=ORDER_EDITORS, params=ORDER, body=COMMENT),
    # the seller asks, or the credit controller from the release queue (issue 6)
    "orders/<int:pk>/credit-override/": Route(
        write=ORDER_EDITORS | CREDIT_KEEPERS, params=ORDER, body=COMMENT
    ),
    "api/v1/orders/<int:pk>/submit/": Route(write=ORDER_EDITORS, params=ORDER),
    "api/v1/orders/<int:pk>/submit/preview/": Route(read=ORDER_READERS, params=ORDER),
    # no approval is open on the world's orders: whoever sees the order is told so (409)
    "api/v1/orders/<int:pk>/decide/": Route(
        write=ORDER_READERS, params=ORDER, body={"decision": "approve", "comment": "ok"}
    ),
    "api/v1/orders/<int:pk>/return/": Route(write=ORDER_EDITORS, params=ORDER, body=COMMENT),
    "api/v1/orders/<int:pk>/release/": Route(write=CREDIT_KEEPERS, params=ORDER, body=COMMENT),
    "api/v1/orders/<int:pk>/credit-override/": Route(
        write=ORDER_EDITORS | CREDIT_KEEPERS, params=ORDER, body=COMMENT
    ),
    # as the order card's credit panel: sellers of the order, credit controllers, administrators
    "api/v1/orders/<int:pk>/credit/": Route(read=CREDIT_READERS, params=ORDER),
    "orders/approvals/": Route(read=SIGNED_IN),
    "orders/approvals/tasks/<int:pk>/": Route(params={"pk": MISSING}, note="TODO world"),
    "orders/approvals/tasks/<int:pk>/decide/": Route(params={"pk": MISSING}),
    "orders/approvals/tasks/<int:pk>/comment/": Route(params={"pk": MISSING}),
    "orders/approvals/delegation/": Route(read=SIGNED_IN, write=SIGNED_IN),
    "orders/credit/holds/": Route(read=CREDIT_KEEPERS),
    "orders/credit/holds/<int:order_id>/release/": Route(
        write=CREDIT_KEEPERS, params={"order_id": "order"}, body=COMMENT
    ),
    "api/v1/approvals/tasks/": Route(read=SIGNED_IN),
    "api/v1/approvals/tasks/<int:pk>/": Route(params={"pk": MISSING}, note="TODO world"),
    "api/v1/approvals/tasks/<int:pk>/decide/": Route(params={"pk": MISSING}),
    "api/v1/approvals/tasks/<int:pk>/comments/": Route(params={"pk": MISSING}),
    "api/v1/approvals/rules/": Route(
        read=SIGNED_IN,
        write=ADMIN,
        body={
            "name": "Проба",
            "kind": "currency_differs",
            "stages": [{"role": "sales_head", "mode": "any"}],
        },
    ),
    "api/v1/approvals/rules/<int:pk>/": Route(
        params={"pk": MISSING}, methods={"delete": ADMIN}, note="TODO world: a rule"
    ),
    "api/v1/approvals/delegations/": Route(write=SIGNED_IN),
    "api/v1/credit/limits/": Route(read=CREDIT_KEEPERS, write=CREDIT_KEEPERS),
    "api/v1/credit/customers/<int:pk>/exposure/": Route(read=SALES_BOOK | SEE_ALL, params=CUSTOMER),
    "api/v1/credit/customers/<int:pk>/block/": Route(
        write=CREDIT_KEEPERS, params=CUSTOMER, body={"reason": "security probe"}
    ),
    "api/v1/credit/holds/": Route(read=CREDIT_KEEPERS),
    "api/v1/credit/holds/<int:order_id>/release/": Route(
        write=CREDIT_KEEPERS, params={"order_id": "order"}, body=COMMENT
    ),
    # --- fulfillment (the warehouse) -------------------------------------------------------------
    "warehouse/": Route(read=SHIPPERS, write=SHIPPERS),
    "warehouse/stock/": Route(read=SIGNED_IN, write=STOCK_KEEPERS),
    "warehouse/shipments/": Route(read=SHIPPERS, write=SHIPPERS),
    "warehouse/shipments/<int:pk>/": Route(read=SHIPPERS, params={"pk": "shipment"}),
    "warehouse/cancellations/": Route(read=SIGNED_IN, write=SIGNED_IN),
    "warehouse/orders/<int:pk>/ship/": Route(read=SHIPPERS, write=SHIPPERS, params=ORDER),
    "warehouse/orders/<int:pk>/pick/": Route(read=SHIPPERS, write=SHIPPERS, params=ORDER),
    "warehouse/orders/<int:pk>/reserve/": Route(
        write=ORDER_EDITORS | roles("warehouse"), params=ORDER
    ),
    "warehouse/orders/<int:pk>/release/": Route(write=RELEASERS, params=ORDER),
    "warehouse/orders/<int:pk>/lines/<int:line_pk>/cancel/": Route(
        write=ORDER_EDITORS, params=LINE
    ),
    "api/v1/stock/": Route(read=SIGNED_IN),
    "api/v1/stock-moves/": Route(
        read=SIGNED_IN,
        write=STOCK_KEEPERS,
        body={
            "product": ref("product"),
            "warehouse": ref("warehouse"),
            "kind": "receipt",
            "quantity": "1",
        },
    ),
    "api/v1/reservations/": Route(
        read=SIGNED_IN, write=ORDER_EDITORS | roles("warehouse"), body={"order": ref("order")}
    ),
    "api/v1/releases/": Route(read=SIGNED_IN, write=RELEASERS, body={"order": ref("draft")}),
    "api/v1/shipments/": Route(
        read=SIGNED_IN,
        write=SHIPPERS,
        body={"order": ref("order"), "lines": [{"line": ref("line"), "quantity": "1"}]},
    ),
    "api/v1/shipments/<int:pk>/": Route(read=ORDER_READERS, params={"pk": "shipment"}),
    "api/v1/pick-lists/<int:order>/": Route(
        read=SHIPPERS, write=SHIPPERS, params={"order": "order"}
    ),
    "api/v1/line-cancellations/": Route(
        read=SIGNED_IN,
        write=ORDER_EDITORS,
        body={
            "order": ref("order"),
            "line": ref("line"),
            "quantity": "1",
            "reason": ref("cancellation_reason"),
        },
    ),
    # --- currencies ----------------------------------------------------------------------------
    "api/v1/^currencies/$": Route(read=SIGNED_IN),
    "api/v1/^currencies/(?P<pk>[^/.]+)/$": Route(read=SIGNED_IN, params={"pk": "currency"}),
    "api/v1/^exchange-rates/$": Route(
        read=SIGNED_IN,
        write=ADMIN,
        body={"currency": "USD", "date": "2026-02-01", "rate": "40"},
    ),
    "api/v1/^exchange-rates/(?P<pk>[^/.]+)/$": Route(
        read=SIGNED_IN, params={"pk": "exchange_rate"}
    ),
}


# --- Django's admin ---------------------------------------------------------------------------
# Only staff enter the admin, and only the administrator is staff: every admin route refuses
# every other role (a redirect to the admin's log-in). What the administrator may do there is
# declared per model: the writes the admin allows beyond looking. Records with a history or a
# workflow (orders, documents, payments, the history itself) are changed through the services
# only, so their admin is read-only. A new ModelAdmin needs its line here.
ADMIN_MODELS: dict[str, set[str]] = {
    "audit.event": set(),
    "auth.group": {"add", "change", "delete"},
    "auth.user": {"add", "change", "delete"},
    "authtoken.tokenproxy": {"add", "change", "delete"},
    "billing.billingpolicy": {"add", "change", "delete"},
    "billing.cashreceipt": set(),
    "billing.companyprofile": {"change", "delete"},  # one profile: no second one
    "billing.creditnote": set(),
    "billing.deliverynote": set(),
    "billing.invoice": set(),
    "billing.payment": set(),
    "catalog.product": {"add", "change"},
    "catalog.productgroup": {"add", "change"},
    "catalog.stockbalance": set(),
    "catalog.warehouse": {"add", "change"},
    "core.currency": {"add", "change", "delete"},
    "core.exchangerate": {"add", "change", "delete"},
    "customers.contact": {"add", "change", "delete"},
    "customers.customer": {"add", "change"},
    "customers.customergroup": {"add", "change"},
    "customers.deliverymethod": {"add", "change"},
    "customers.paymentmethod": {"add", "change"},
    "customers.paymentterms": {"add", "change"},
    "customers.paymenttermsinstalment": set(),
    "customers.salesteam": {"add", "change", "delete"},
    # every field read-only, but the admin may delete an amendment record (see the report)
    "orders.amendment": {"change", "delete"},
    "orders.cancellationreason": {"add", "change", "delete"},
    "orders.deliveryscheduleentry": {"add", "change", "delete"},
    "orders.order": set(),
    "orders.ordertemplate": {"add", "change", "delete"},
    "orders.termright": set(),  # changed on the rights page (orders/term-rights/), with history
    "pricing.contract": {"add", "change"},
    "pricing.contractprice": {"add", "change", "delete"},
    "pricing.discountbudget": {"add", "change", "delete"},
    "pricing.discountpolicy": {"add", "change"},
    "pricing.priceimport": {"delete"},
    "pricing.pricelist": {"add", "change"},
    "pricing.pricelistitem": {"add", "change", "delete"},
    "pricing.pricinglimits": {"change"},
    "pricing.rolediscountcap": {"add", "change", "delete"},
    "payments.intermediary": {"add", "change", "delete"},
    "approvals.approvalrule": {"add", "change", "delete"},
    "approvals.delegation": {"add", "change", "delete"},
    # decisions, holds and accounts are records of a workflow: read-only (see the report)
    "approvals.approval": set(),
    "approvals.approvaltask": set(),
    "credit.creditlimit": {"change", "delete"},
    "credit.creditaccount": set(),
    "credit.credithold": set(),
    "fulfillment.fulfillmentsettings": {"add", "change"},
    "payments.intermediaryentry": set(),
    "payments.paymenthold": set(),
    "payments.paymentlink": set(),
    "payments.payoutline": set(),
    "payments.payoutreport": set(),
    "payments.providerevent": set(),
    "payments.securityevent": set(),
    "reports.savedreport": {"add", "change", "delete"},
    "receivables.allocation": set(),
    "receivables.customerbalance": set(),
    "receivables.openitem": set(),
}

ADMIN_SITE: dict[str, Route] = {
    "admin/": Route(read=ADMIN, write=ADMIN),
    "admin/login/": Route(read=PUBLIC, write=PUBLIC),
    # POST logs out whoever asks; GET logs nobody out: staff get 405, the rest a redirect
    "admin/logout/": Route(read=roles(*ROLES[:-1]), write=PUBLIC),
    "admin/password_change/": Route(read=ADMIN, write=ADMIN),
    "admin/password_change/done/": Route(read=ADMIN),
    # without a field to complete the admin refuses even the administrator (403)
    "admin/autocomplete/": Route(),
    "admin/jsi18n/": Route(read=ADMIN),
    # view-on-site: no model has a public URL, so even the administrator gets 404
    "admin/r/<path:content_type_id>/<path:object_id>/": Route(
        params={"content_type_id": lit(1), "object_id": lit(1)}
    ),
    "admin/auth/user/<id>/password/": Route(read=ADMIN, write=ADMIN, params={"id": "some_user"}),
    "admin/(?P<url>.*)$": Route(params={"url": lit("no/such/page/")}, write=NOBODY),
}
ADMIN_APP_INDEX = re.compile(r"^admin/\^\(\?P<app_label>")
ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/(?P<rest>.*)$")
OBJECT = {"object_id": lit(0)}  # no such object: the door is what is tested


def admin_route(key: str) -> Route | None:
    if key in ADMIN_SITE:
        return ADMIN_SITE[key]
    if ADMIN_APP_INDEX.match(key):
        return Route(read=ADMIN, write=ADMIN, params={"app_label": lit("orders")})
    match = ADMIN_MODEL_ROUTE.match(key)
    if match is None:
        return None
    label = f"{match['app']}.{match['model']}"
    if label not in ADMIN_MODELS:
        return None
    may = ADMIN_MODELS[label]

    def allowed(action: str) -> Who:
        return ADMIN if action in may else NOBODY

    rest = match["rest"]
    if rest == "":
        return Route(read=ADMIN, write=ADMIN)  # POST: the list's bulk actions
    if rest == "add/":
        return Route(read=allowed("add"), write=allowed("add"))
    if rest == "<path:object_id>/change/":
        return Route(read=ADMIN, write=allowed("change"), params=OBJECT)
    if rest == "<path:object_id>/delete/":
        return Route(read=allowed("delete"), write=allowed("delete"), params=OBJECT)
    if rest in ("<path:object_id>/history/", "<path:object_id>/"):
        return Route(read=ADMIN, write=ADMIN, params=OBJECT)
    return None


def routes_for(key: str) -> tuple[Route, ...]:
    """The declarations of a route: one, or one per variant (a route serving several kinds of
    record, each with its own readers); empty when the route is not declared."""
    if key in ROUTES:
        found = ROUTES[key]
        return found if isinstance(found, tuple) else (found,)
    if key.startswith("admin/"):
        route = admin_route(key)
        return (route,) if route is not None else ()
    return ()


def route_for(key: str) -> Route | None:
    """The first declaration of a route (None when undeclared)."""
    found = routes_for(key)
    return found[0] if found else None


__all__ = ["OTHER", "ROUTES", "Route", "route_for", "routes_for", "who"]
