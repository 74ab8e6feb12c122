"""Report pages: dashboards, each report with filters, chart, exports and saved variants,
and the drill-down from a row to the orders, lines or ledger items behind it.

Bad parameters never fail a page: the report shows the refusal with its code above an empty
table (400); another user's private variant is `variant_not_found` (404); a role without
reports (the warehouse) gets 403 `report_not_permitted` and keeps its dashboard.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orderdesk.catalog.models import ProductGroup
from orderdesk.core.errors import DomainError, NotFound, PermissionRefused
from orderdesk.core.models import Currency
from orderdesk.core.roles import Role, roles_of
from orderdesk.core.views import error_status
from orderdesk.customers.models import Customer
from orderdesk.customers.selectors import customer_scope
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import CancellationReason
from orderdesk.orders.permissions import team_manager_ids

from . import exports, services
from .choices import OrderState, Period, ProfitBasis, ReportName
from .params import Params
from .permissions import SEE_ALL, can_run_reports, can_see_dashboards
from .routers import replica_reads
from .selectors import REPORTS, params_for, report_for, variant_get_for, variants_for
from .selectors import aging as aging_selectors
from .selectors import cancellations as cancellation_selectors
from .selectors import order_states as state_selectors
from .selectors import profitability as profit_selectors
from .selectors.dashboards import dashboard

PAGE_ROWS = 500
DRILL_PAGE = 100
# the order list's status filter for a report state (the list shows the confirmed ones for
# the states that fulfillment and payment split further)
STATE_STATUS = {
    OrderState.DRAFT: "draft",
    OrderState.AWAITING_APPROVAL: "pending_approval",
    OrderState.CREDIT_HOLD: "credit_hold",
    OrderState.AWAITING_PAYMENT: "confirmed",
    OrderState.AWAITING_SHIPMENT: "confirmed",
    OrderState.PARTIALLY_SHIPPED: "confirmed",
    OrderState.SHIPPED: "confirmed",
    OrderState.CLOSED: "closed",
    OrderState.CANCELLED: "cancelled",
}


def _report_or_404(slug: str):
    try:
        return report_for(slug)
    except NotFound:
        raise Http404(_("No such report.")) from None


def _refused(request, exc: DomainError, status: int | None = None) -> HttpResponse:
    return render(
        request,
        "reports/refused.html",
        {"domain_error": exc},
        status=status or error_status(exc),
    )


@login_required
@require_GET
def index(request):
    """The user's dashboards and the reports the user may run."""
    user = request.user
    if not can_see_dashboards(user):
        return _refused(
            request, PermissionRefused(_("No reports for your role."), code="report_not_permitted")
        )
    with replica_reads():
        board = dashboard(user)
    may_run = can_run_reports(user)
    return render(
        request,
        "reports/index.html",
        {
            "board": board,
            "reports": list(REPORTS.values()) if may_run else [],
            "variants": list(variants_for(user)) if may_run else [],
            "today": timezone.localdate(),
        },
    )


def _managers(user) -> list[Any]:
    """Managers the user may pick in a filter: all sales people, the team, or oneself."""
    users = get_user_model().objects.filter(is_active=True)
    roles = roles_of(user)
    if roles & SEE_ALL:
        users = users.filter(groups__name__in=[Role.SALES_MANAGER, Role.SALES_HEAD]).distinct()
    elif Role.SALES_HEAD in roles:
        users = users.filter(pk__in=team_manager_ids(user))
    else:
        users = users.filter(pk=user.pk)
    return list(users.order_by("last_name", "first_name", "username")[:300])


def _form_options(report, user, params: Params | None) -> dict[str, Any]:
    selected_customer = None
    if params is not None and params.get("customer"):
        selected_customer = Customer.objects.filter(
            customer_scope(user), pk=params["customer"]
        ).first()
    options: dict[str, Any] = {
        "managers": _managers(user),
        "selected_customer": selected_customer,
        "periods": Period.choices,
    }
    if report.name == ReportName.ORDER_STATES:
        options["states"] = OrderState.choices
    if report.name == ReportName.CANCELLATIONS:
        options["reasons"] = list(CancellationReason.objects.order_by("name"))
    if report.name in (ReportName.CANCELLATIONS, ReportName.PROFITABILITY):
        options["product_groups"] = list(ProductGroup.objects.order_by("name")[:300])
    if report.name == ReportName.PROFITABILITY:
        options["bases"] = ProfitBasis.choices
    if report.name == ReportName.AGING:
        options["currencies"] = list(
            Currency.objects.order_by("code").values_list("code", flat=True)
        )
    return options


@login_required
@require_GET
def report_page(request, slug: str):
    """One report: filters, grouping, sorting, a chart, the rows (the first `PAGE_ROWS`),
    totals, exports, saved variants."""
    report = _report_or_404(slug)
    user = request.user
    params = variant = error = None
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    more = False
    status = 200
    try:
        params, variant = params_for(user=user, report=report, raw=request.GET)
        with replica_reads():
            rows = report.rows(user, params, limit=PAGE_ROWS + 1)
            totals = report.totals(user, params)
        more = len(rows) > PAGE_ROWS
        rows = rows[:PAGE_ROWS]
        for row in rows:
            row["drill_url"] = report.drill_url(row, params)
    except PermissionRefused as exc:
        return _refused(request, exc)
    except DomainError as exc:
        error, status = exc, error_status(exc)
    if params is None:
        # show the form with what was asked, so the mistake can be corrected
        try:
            params = report.parse({})
        except DomainError:
            params = Params(report.name)
    columns = report.columns(params)
    query = dict(params.query)
    export_query = urlencode(query)
    context = {
        "report": report,
        "params": params,
        "query": query,
        "columns": columns,
        "rows": rows,
        "totals": totals,
        "more": more,
        "page_rows": PAGE_ROWS,
        "chart": report.chart(rows, params) if rows else None,
        "error": error,
        "variant": variant,
        "variants": list(variants_for(user, report.name)),
        "roles": Role.choices,
        "exports": [
            (fmt.upper(), reverse("reports:export", args=[report.slug, fmt]) + "?" + export_query)
            for fmt in exports.FORMATS
        ],
        "dimensions": report.dimensions,
        "group_by": report.group_by(params),
        "sort_options": [(c.key, c.label) for c in columns],
        "current_query": request.GET.urlencode(),
        **_form_options(report, user, params),
    }
    return render(request, f"reports/{report.name}.html", context, status=status)


@login_required
@require_GET
def export(request, slug: str, fmt: str):
    """The report as CSV, XLSX or PDF, with the same parameters as the page."""
    report = _report_or_404(slug)
    if fmt not in exports.FORMATS:
        raise Http404(_("No such export format."))
    try:
        params, _variant = params_for(user=request.user, report=report, raw=request.GET)
        return exports.export_response(report, request.user, params, fmt)
    except DomainError as exc:
        return _refused(request, exc)


DRILL_TEMPLATES = {
    ReportName.ORDER_STATES: "reports/drill_orders.html",
    ReportName.CANCELLATIONS: "reports/drill_cancellations.html",
    ReportName.PROFITABILITY: "reports/drill_profitability.html",
    ReportName.AGING: "reports/drill_aging.html",
}


def _drill_queryset(report, user, params: Params):
    if report.name == ReportName.ORDER_STATES:
        return state_selectors.orders_in(user, params)
    if report.name == ReportName.CANCELLATIONS:
        return cancellation_selectors.lines_in(user, params)
    if report.name == ReportName.PROFITABILITY:
        return profit_selectors.lines_in(user, params)
    return aging_selectors.items_in(user, params)


def orders_list_url(params: Params) -> str | None:
    """The same orders in the order list, where its filters can say it."""
    query: dict[str, str] = {}
    states = params.get("state") or []
    if len(states) == 1:
        status = STATE_STATUS.get(states[0])
        if status not in OrderStatus.values:  # a status the orders app does not have (yet)
            return None
        query["status"] = status
    for key in ("manager", "customer", "date_from", "date_to", "currency"):
        if key in params.query:
            query[key] = params.query[key]
    return reverse("orders:list") + "?" + urlencode(query)


@login_required
@require_GET
def drill(request, slug: str):
    """The orders, lines or ledger items behind a row of a report (the row's filters)."""
    report = _report_or_404(slug)
    user = request.user
    try:
        params, _variant = params_for(user=user, report=report, raw=request.GET)
        with replica_reads():
            page = Paginator(_drill_queryset(report, user, params), DRILL_PAGE).get_page(
                request.GET.get("page")
            )
            items = list(page.object_list)
    except DomainError as exc:
        return _refused(request, exc)
    back = dict(params.query)
    return render(
        request,
        DRILL_TEMPLATES[report.name],
        {
            "report": report,
            "params": params,
            "page": page,
            "items": items,
            "orders_list_url": orders_list_url(params)
            if report.name == ReportName.ORDER_STATES
            else None,
            "back_url": reverse("reports:report", args=[report.slug]) + "?" + urlencode(back),
            "query": _without_page(request),
        },
    )


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_POST
def variant_save(request, slug: str):
    """Save the parameters on the page (`query`) under a name, private or shared."""
    report = _report_or_404(slug)
    raw = QueryDict(request.POST.get("query", ""))
    params = {key: raw.getlist(key) for key in raw if key != "variant"}
    existing = None
    try:
        if request.POST.get("replace"):
            existing = variant_get_for(user=request.user, pk=request.POST["replace"])
        variant = services.variant_save(
            by=request.user,
            report=report.name,
            name=request.POST.get("name", ""),
            params=params,
            shared_role=request.POST.get("shared_role", ""),
            variant=existing,
        )
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        return redirect(reverse("reports:report", args=[report.slug]) + "?" + raw.urlencode())
    messages.success(request, _("Saved as “%(n)s”.") % {"n": variant.name})
    return redirect(reverse("reports:report", args=[report.slug]) + f"?variant={variant.pk}")


@login_required
@require_POST
def variant_delete(request, pk: int):
    try:
        variant = variant_get_for(user=request.user, pk=pk)
        slug = report_for(variant.report).slug
        services.variant_delete(by=request.user, variant=variant)
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(request, _("Saved report deleted."))
    return redirect("reports:report", slug=slug)
