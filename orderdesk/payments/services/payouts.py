"""Intermediaries' payout reports: check (the preview), import, match by hand, dismiss.

A report is a CSV whose columns the accountant maps to ours: reference / order number /
invoice number (at least one to match by), payer, date, items, gross (what the customer
paid), commission, net (what was transferred). Missing commission is taken from the terms
(percent + fixed per item); missing net is gross - commission (or gross when the
intermediary invoices its commission apart).

Every row is checked before anything is written; a broken row, a line that does not add up
(gross - commission != net) or a total line that disagrees with the lines refuses the whole
file, with a reason per row. On import each line books its amounts in the intermediary's
ledger (collected +gross, commission -commission as our expense, transferred -net), and a
line that matches an invoice or order by number or reference — and fits its open amount in
its currency — closes the customer's debt by the GROSS amount through billing's payment
service, allocated to that invoice. The rest waits in the review queue with a reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from orderdesk.audit.services import record
from orderdesk.billing.models import DocumentStatus, Invoice
from orderdesk.billing.services import payment_create
from orderdesk.billing.services.statement import decode, parse_date
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from orderdesk.core.money import ZERO, quantize, to_decimal
from orderdesk.orders.models import Order
from orderdesk.receivables.services import lock_balances

from ..calculations import commission_by_terms, line_adds_up, plan_allocation
from ..choices import EntryKind, LineStatus
from ..models import (
    Intermediary,
    IntermediaryEntry,
    PaymentLink,
    PayoutLine,
    PayoutReport,
)
from . import _common as c
from .intermediaries import intermediary_or_404

FIELDS = (
    "reference",
    "order_number",
    "invoice_number",
    "payer",
    "date",
    "items",
    "gross",
    "commission",
    "net",
)
IDENTIFIERS = ("reference", "order_number", "invoice_number")
REQUIRED = ("date", "gross")
TOTAL_WORDS = {"разом", "всього", "усього", "підсумок", "итого", "итог", "total", "totals"}
MAX_ROWS = 5000


def check_mapping(mapping: dict[str, Any]) -> dict[str, str]:
    """Our field -> the file's column name (`mapping_invalid` for a field we do not know)."""
    if not isinstance(mapping, dict):
        raise ValidationFailed(_("The column mapping is not a table."), code="mapping_invalid")
    clean = {str(k): str(v).strip() for k, v in mapping.items() if v not in (None, "")}
    unknown = set(clean) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields in the column mapping: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="mapping_invalid",
            fields={f"mapping.{k}": "unknown" for k in unknown},
        )
    return clean


def _columns(mapping: dict[str, str] | None, header: list[str]) -> dict[str, int]:
    mapping = check_mapping(mapping or {}) or {n: n for n in FIELDS if n in header}
    missing = [f for f in REQUIRED if f not in mapping]
    if not any(f in mapping for f in IDENTIFIERS):
        missing.append("reference | order_number | invoice_number")
    if missing:
        raise ValidationFailed(
            _("Map a column to: %(f)s.") % {"f": ", ".join(missing)},
            code="mapping_incomplete",
            fields={f"mapping.{f}": None for f in missing},
        )
    absent = {k: v for k, v in mapping.items() if v not in header}
    if absent:
        raise ValidationFailed(
            _("The file has no column %(c)s.") % {"c": ", ".join(sorted(absent.values()))},
            code="mapping_column_missing",
            fields={f"mapping.{k}": v for k, v in absent.items()},
        )
    return {name: header.index(col) for name, col in mapping.items()}


# --- matching ------------------------------------------------------------------------------


@dataclass
class Match:
    ok: bool
    order: Order | None = None
    invoice: Invoice | None = None
    plan: list[tuple[int, Decimal]] = field(default_factory=list)
    code: str = ""
    detail: str = ""
    exact: bool = False


def _refusal(code: str, detail: str) -> Match:
    return Match(False, code=code, detail=str(detail))


def _candidates(
    reference: str, order_number: str, invoice_number: str
) -> tuple[list[tuple[Invoice | None, Order]], Match]:
    """What a line names: by invoice number, else order number, else reference (a payment
    link's reference, an invoice or order number, the customer's order reference)."""
    if invoice_number:
        inv = Invoice.objects.select_related("order").filter(number=invoice_number).first()
        if inv is None:
            return [], _refusal("invoice_unknown", _("No invoice %(n)s.") % {"n": invoice_number})
        return [(inv, inv.order)], Match(False)
    if order_number:
        order = Order.objects.filter(number=order_number).first()
        if order is None:
            return [], _refusal("order_unknown", _("No order %(n)s.") % {"n": order_number})
        return [(None, order)], Match(False)
    if not reference:
        return [], _refusal(
            "reference_missing", _("The line names no invoice, order or reference.")
        )
    link = PaymentLink.objects.select_related("invoice__order").filter(reference=reference).first()
    if link is not None:
        return [(link.invoice, link.invoice.order)], Match(False)
    inv = Invoice.objects.select_related("order").filter(number=reference).first()
    if inv is not None:
        return [(inv, inv.order)], Match(False)
    found = list(Order.objects.filter(number=reference)[:1]) or list(
        Order.objects.filter(customer_reference=reference).order_by("pk")[:10]
    )
    if not found:
        return [], _refusal(
            "reference_unknown", _("Nothing is known by the reference “%(r)s”.") % {"r": reference}
        )
    return [(None, o) for o in found], Match(False)


def plan_for(
    invoice: Invoice | None,
    order: Order,
    *,
    gross: Decimal,
    currency: str,
    consumed: dict[int, Decimal],
) -> Match:
    """Can `gross` settle the invoice (or the order's invoices)? The plan spreads it over the
    open instalments, oldest due first, net of what earlier lines of the file took."""
    if invoice is not None and invoice.status != DocumentStatus.POSTED:
        return _refusal("invoice_not_posted", _("Invoice %(n)s is not posted.") % {"n": invoice})
    own = invoice.currency_id if invoice is not None else order.currency_id
    if own != currency:
        return _refusal(
            "currency_mismatch",
            _("The report is in %(r)s, the document in %(d)s.") % {"r": currency, "d": own},
        )
    items = (
        c.open_debits(invoice=invoice) if invoice is not None else c.open_debits(order_id=order.pk)
    )
    available = [(i.pk, i.open_amount - consumed.get(i.pk, ZERO)) for i in items]
    available = [(pk, amount) for pk, amount in available if amount > ZERO]
    total = sum((a for _pk, a in available), ZERO)
    what = invoice.number if invoice is not None else order.number
    if total == ZERO:
        return _refusal("nothing_open", _("%(w)s has nothing open.") % {"w": what})
    if gross > total:
        return _refusal(
            "amount_exceeds_open",
            _("%(g)s is more than %(w)s has open (%(o)s).") % {"g": gross, "w": what, "o": total},
        )
    return Match(
        True,
        order=order,
        invoice=invoice,
        plan=plan_allocation(available, gross),
        exact=gross == total,
    )


def match_line(
    *,
    reference: str,
    order_number: str,
    invoice_number: str,
    gross: Decimal,
    currency: str,
    consumed: dict[int, Decimal],
) -> Match:
    """Find what a payout line pays, by number and reference, with the amount deciding
    between several documents that share a reference (`reference_ambiguous` otherwise)."""
    candidates, refusal = _candidates(reference, order_number, invoice_number)
    if not candidates:
        return refusal
    results = [
        plan_for(inv, order, gross=gross, currency=currency, consumed=consumed)
        for inv, order in candidates
    ]
    fitting = [m for m in results if m.ok]
    if len(fitting) > 1:
        fitting = [m for m in fitting if m.exact]
    if len(fitting) == 1:
        match = fitting[0]
        for pk, part in match.plan:
            consumed[pk] = consumed.get(pk, ZERO) + part
        return match
    if len(fitting) > 1 or (not fitting and any(m.ok for m in results)):
        return _refusal(
            "reference_ambiguous",
            _("The reference “%(r)s” fits several orders.") % {"r": reference},
        )
    return results[0]


# --- checking a file -----------------------------------------------------------------------


@dataclass
class PayoutRow:
    row: int
    status: str = "ok"  # ok | error | total
    reference: str = ""
    order_number: str = ""
    invoice_number: str = ""
    payer: str = ""
    date: str = ""
    items: int = 1
    gross: str = ""
    commission: str = ""
    net: str = ""
    commission_expected: str = ""
    match: str = ""  # invoice | order | "" (waits for review)
    invoice_id: int | None = None
    invoice: str = ""
    order_id: int | None = None
    order: str = ""
    customer_id: int | None = None
    customer: str = ""
    review: str = ""
    review_detail: str = ""
    line_id: int | None = None
    payment_id: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def error(self, code: str, detail: str, name: str) -> None:
        self.status = "error"
        self.errors.append({"code": code, "detail": str(detail), "field": name})

    def set_match(self, match: Match) -> None:
        if match.ok:
            self.match = "invoice" if match.invoice is not None else "order"
            self.invoice_id = match.invoice.pk if match.invoice is not None else None
            self.invoice = match.invoice.number if match.invoice is not None else ""
            self.order_id, self.order = match.order.pk, match.order.number
            self.customer_id = match.order.customer_id
            self.customer = str(match.order.customer)
            self.review = self.review_detail = ""
        else:
            self.match, self.review, self.review_detail = "", match.code, match.detail


@dataclass
class PayoutResult:
    dry_run: bool
    rows: list[PayoutRow]
    number: str = ""
    currency: str = ""
    gross_total: Decimal = ZERO
    commission_total: Decimal = ZERO
    net_total: Decimal = ZERO
    report_id: int | None = None

    @property
    def lines(self) -> list[PayoutRow]:
        return [r for r in self.rows if r.status != "total"]

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.status == "error")

    @property
    def matched(self) -> int:
        return sum(1 for r in self.lines if r.status == "ok" and r.match)

    @property
    def to_review(self) -> int:
        return sum(1 for r in self.lines if r.status == "ok" and not r.match)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "report": self.report_id,
            "number": self.number,
            "currency": self.currency,
            "gross_total": self.gross_total,
            "commission_total": self.commission_total,
            "net_total": self.net_total,
            "matched": self.matched,
            "to_review": self.to_review,
            "errors": self.error_count,
            "rows": [asdict(r) for r in self.rows],
        }


def _amount(row: PayoutRow, value: str, name: str, currency: str, *, positive: bool):
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        row.error("amount_invalid", _("“%(v)s” is not an amount.") % {"v": value}, name)
        return None
    if amount < 0 or (positive and amount == 0):
        code = "amount_not_positive" if positive else "amount_negative"
        row.error(code, _("The amount must be more than zero."), name)
        return None
    if quantize(amount, currency) != amount:
        row.error("number_precision", _("Too many decimal places."), name)
        return None
    return amount


def _is_total(cells: dict[str, str], raw: list[str]) -> bool:
    words = {cell.strip().lower().rstrip(":") for cell in raw}
    if words & TOTAL_WORDS:
        return True
    return not any(cells.get(k) for k in (*IDENTIFIERS, "date")) and bool(cells.get("gross"))


def payout_check(
    *,
    intermediary: Intermediary,
    data: bytes | str,
    mapping: dict[str, str] | None = None,
    delimiter: str | None = None,
    number: str = "",
    expected_net_total: Any = None,
) -> tuple[PayoutResult, list[dict[str, Any]]]:
    """Parse, check and match every line; nothing is written. Returns the preview and what
    to book for each line."""
    text = decode(data)
    if not text.strip():
        raise ValidationFailed(_("The report is empty."), code="report_empty")
    delimiter = delimiter or intermediary.delimiter or None
    if delimiter is None:
        first = text.splitlines()[0]
        delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ValidationFailed(_("The report is empty."), code="report_empty") from None
    index = _columns(mapping or intermediary.column_mapping, header)
    try:
        raw_rows = [(n, r) for n, r in enumerate(reader, start=2) if any(x.strip() for x in r)]
    except csv.Error:
        raise ValidationFailed(_("The file is not CSV."), code="report_unreadable") from None
    if not raw_rows:
        raise ValidationFailed(_("The report has no lines."), code="report_empty")
    if len(raw_rows) > MAX_ROWS:
        raise ValidationFailed(
            _("At most %(n)s lines at once.") % {"n": MAX_ROWS}, code="report_too_long"
        )
    currency = intermediary.currency_id
    result = PayoutResult(dry_run=True, rows=[], number=number, currency=currency)
    todo: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    totals_rows: list[tuple[PayoutRow, dict[str, Decimal | None]]] = []
    known_refs = set(
        PayoutLine.objects.filter(report__intermediary=intermediary)
        .exclude(reference="")
        .values_list("reference", flat=True)
    )
    consumed: dict[int, Decimal] = {}
    withheld = intermediary.commission_withheld
    for number_, raw in raw_rows:
        cells = {name: (raw[i].strip() if i < len(raw) else "") for name, i in index.items()}
        row = PayoutRow(
            row=number_,
            reference=cells.get("reference", "")[:64],
            order_number=cells.get("order_number", "")[:64],
            invoice_number=cells.get("invoice_number", "")[:64],
            payer=cells.get("payer", "")[:255],
            date=cells.get("date", ""),
            gross=cells.get("gross", ""),
            commission=cells.get("commission", ""),
            net=cells.get("net", ""),
        )
        result.rows.append(row)
        if _is_total(cells, raw):
            row.status = "total"
            amounts = {}
            for name in ("gross", "commission", "net"):
                value = cells.get(name, "")
                amounts[name] = (
                    _amount(row, value, name, currency, positive=False) if value else None
                )
            if row.status == "error":
                continue
            row.status = "total"
            totals_rows.append((row, amounts))
            continue
        date = None
        try:
            date = parse_date(row.date)
        except ValueError:
            row.error("date_invalid", _("“%(v)s” is not a date.") % {"v": row.date}, "date")
        items = 1
        if cells.get("items"):
            try:
                items = int(cells["items"])
                if items < 1:
                    raise ValueError
            except ValueError:
                row.error(
                    "items_invalid",
                    _("“%(v)s” is not a number of items.") % {"v": cells["items"]},
                    "items",
                )
        row.items = items
        gross = _amount(row, row.gross, "gross", currency, positive=True)
        expected = (
            commission_by_terms(
                gross,
                percent=intermediary.commission_percent,
                fixed_per_item=intermediary.commission_fixed,
                items=items,
            )
            if gross is not None
            else None
        )
        if expected is not None:
            row.commission_expected = str(expected)
        commission = expected
        if row.commission:
            commission = _amount(row, row.commission, "commission", currency, positive=False)
            if commission is not None and gross is not None and commission > gross:
                row.error(
                    "commission_invalid", _("The commission exceeds the amount."), "commission"
                )
            has_terms = intermediary.commission_percent or intermediary.commission_fixed
            if (
                commission is not None
                and expected is not None
                and has_terms
                and abs(commission - expected) > Decimal("0.01")
            ):
                row.warnings.append(
                    {
                        "code": "commission_differs",
                        "detail": _("The terms give %(e)s.") % {"e": expected},
                        "field": "commission",
                    }
                )
        elif commission is not None:
            row.commission = str(commission)
        net = None
        if row.net:
            net = _amount(row, row.net, "net", currency, positive=False)
        elif gross is not None and commission is not None:
            net = gross - commission if withheld else gross
            row.net = str(net)
        if None not in (gross, commission, net) and not line_adds_up(
            gross, commission, net, withheld=withheld
        ):
            rule = (
                _("gross - commission = net") if withheld else _("net = gross (commission apart)")
            )
            row.error(
                "line_totals_mismatch",
                _("%(g)s, %(c)s and %(n)s do not add up (%(r)s).")
                % {"g": gross, "c": commission, "n": net, "r": rule},
                "net",
            )
        key = row.reference
        if key:
            if key in seen:
                row.error(
                    "payout_line_repeated",
                    _("The same reference is on row %(r)s.") % {"r": seen[key]},
                    "reference",
                )
            elif key in known_refs:
                row.error(
                    "payout_line_duplicate",
                    _("A line with this reference was imported in an earlier report."),
                    "reference",
                )
            seen.setdefault(key, number_)
        if row.status == "error":
            continue
        match = match_line(
            reference=row.reference,
            order_number=row.order_number,
            invoice_number=row.invoice_number,
            gross=gross,
            currency=currency,
            consumed=consumed,
        )
        row.set_match(match)
        todo.append(
            {
                "row": row,
                "paid_on": date,
                "items": items,
                "gross": gross,
                "commission": commission,
                "net": net,
                "expected": expected,
            }
        )
    result.gross_total = sum((t["gross"] for t in todo), ZERO)
    result.commission_total = sum((t["commission"] for t in todo), ZERO)
    result.net_total = sum((t["net"] for t in todo), ZERO)
    if len(totals_rows) > 1:
        totals_rows[1][0].error("total_line_repeated", _("A second total line."), "gross")
    if not result.error_count:
        reported = {"gross": result.gross_total, "commission": result.commission_total}
        reported["net"] = result.net_total
        for _row, amounts in totals_rows[:1]:
            wrong = [k for k, v in amounts.items() if v is not None and v != reported[k]]
            if wrong:
                raise ValidationFailed(
                    _("The total line does not add up: %(w)s.")
                    % {"w": ", ".join(f"{k} {amounts[k]} ≠ {reported[k]}" for k in wrong)},
                    code="payout_totals_mismatch",
                    fields={k: {"file": amounts[k], "lines": reported[k]} for k in wrong},
                )
        if expected_net_total not in (None, ""):
            try:
                expected_net = to_decimal(expected_net_total)
            except (TypeError, ValueError):
                raise ValidationFailed(
                    _("“%(v)s” is not an amount.") % {"v": expected_net_total},
                    code="amount_invalid",
                    fields={"expected_net_total": str(expected_net_total)},
                ) from None
            if expected_net != result.net_total:
                raise ValidationFailed(
                    _("The lines transfer %(n)s, the bank received %(e)s.")
                    % {"n": result.net_total, "e": expected_net},
                    code="payout_totals_mismatch",
                    fields={"expected_net_total": {"file": result.net_total, "bank": expected_net}},
                )
    return result, todo


# --- importing -----------------------------------------------------------------------------


def _apply_line(*, by, intermediary, report, line: PayoutLine, match: Match, by_hand: bool):
    """Close the customer's debt by the line's gross amount (a billing payment allocated as
    planned) and record it in the order's history. Returns the refusal, if any."""
    order = match.order
    try:
        with transaction.atomic():
            payment = payment_create(
                by=by,
                customer=order.customer_id,
                order=order.pk,
                amount=line.gross,
                currency=report.currency_id,
                payment_date=line.paid_on,
                payer_name=line.payer,
                purpose=f"{intermediary.name}: {report.number}"
                + (f", {line.reference}" if line.reference else ""),
                bank_reference=f"{intermediary.code}:{report.pk}:{line.row}"[:64],
                allocations=match.plan,
            )
            line.status = LineStatus.MATCHED
            line.invoice, line.order, line.customer_id = match.invoice, order, order.customer_id
            line.payment = payment
            line.matched_by = by if getattr(by, "is_authenticated", False) else None
            line.matched_at = c.now()
            line.matched_by_hand = by_hand
            line.reason = line.reason_detail = ""
            line.save()
            c.history(
                order,
                by,
                [
                    c.entry(
                        "payments.payout_line.matched",
                        line,
                        intermediary=intermediary.name,
                        report=report.number,
                        row=line.row,
                        reference=line.reference,
                        invoice=match.invoice.number if match.invoice else "",
                        gross=line.gross,
                        commission=line.commission,
                        currency=report.currency_id,
                        payment=payment.number,
                        by_hand=by_hand,
                    )
                ],
            )
    except DomainError as exc:
        return exc
    return None


def _entries(intermediary, report, line: PayoutLine) -> list[IntermediaryEntry]:
    common = {
        "intermediary": intermediary,
        "report": report,
        "line": line,
        "entry_date": line.paid_on,
        "currency_id": report.currency_id,
    }
    label = line.reference or line.order_number or line.invoice_number or f"#{line.row}"
    out = [
        IntermediaryEntry(kind=EntryKind.COLLECTED, amount=line.gross, description=label, **common)
    ]
    if line.commission:
        out.append(
            IntermediaryEntry(
                kind=EntryKind.COMMISSION, amount=-line.commission, description=label, **common
            )
        )
    if line.net:
        out.append(
            IntermediaryEntry(
                kind=EntryKind.TRANSFERRED, amount=-line.net, description=label, **common
            )
        )
    return out


@atomic_with_retry
def payout_import(
    *,
    by,
    intermediary: Any,
    data: bytes | str,
    mapping: dict[str, str] | None = None,
    delimiter: str | None = None,
    number: str = "",
    report_date: dt.date | None = None,
    file_name: str = "",
    expected_net_total: Any = None,
    dry_run: bool = True,
) -> PayoutResult:
    """Check an intermediary's payout report (dry run: the preview) or import it.

    Refusals of the whole file: `payments_not_permitted`, `intermediary_not_found`,
    `report_empty`, `report_unreadable`, `report_too_long`, `mapping_invalid`,
    `mapping_incomplete`, `mapping_column_missing`, `payout_totals_mismatch` (the total line
    or the amount the bank received disagrees with the lines), `payout_report_duplicate` (the
    same number or the same file again) and `payout_report_invalid` with each broken row in
    `fields.rows` (`date_invalid`, `amount_invalid`, `amount_not_positive`, `amount_negative`,
    `number_precision`, `items_invalid`, `commission_invalid`, `line_totals_mismatch`,
    `payout_line_repeated`, `payout_line_duplicate`, `total_line_repeated`). Lines that do
    not match wait for review with `reference_missing`, `reference_unknown`,
    `reference_ambiguous`, `invoice_unknown`, `order_unknown`, `invoice_not_posted`,
    `currency_mismatch`, `nothing_open`, `amount_exceeds_open` or a billing refusal.
    """
    c.require_manage(by, _("payout report"))
    intermediary = intermediary_or_404(intermediary)
    raw = data.encode() if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()
    report_date = report_date or c.now().date()
    number = (number or "").strip()[:64] or (file_name or "").strip()[:64] or str(report_date)
    result, todo = payout_check(
        intermediary=intermediary,
        data=data,
        mapping=mapping,
        delimiter=delimiter,
        number=number,
        expected_net_total=expected_net_total,
    )
    result.dry_run = dry_run
    duplicate = (
        PayoutReport.objects.filter(intermediary=intermediary).filter(number=number).exists()
        or PayoutReport.objects.filter(intermediary=intermediary, file_sha256=digest).exists()
    )
    if duplicate:
        raise ValidationFailed(
            _("This report of %(i)s is imported already.") % {"i": intermediary},
            code="payout_report_duplicate",
            fields={"number": number},
        )
    if dry_run:
        return result
    if result.error_count:
        raise ValidationFailed(
            _("%(n)s lines of the report have errors; nothing was imported.")
            % {"n": result.error_count},
            code="payout_report_invalid",
            fields={"rows": [asdict(r) for r in result.rows if r.status == "error"]},
        )
    intermediary = intermediary_or_404(intermediary, lock=True)
    try:
        with transaction.atomic():
            report = PayoutReport.objects.create(
                intermediary=intermediary,
                number=number,
                report_date=report_date,
                currency_id=intermediary.currency_id,
                file_name=(file_name or "")[:255],
                file_sha256=digest,
                gross_total=result.gross_total,
                commission_total=result.commission_total,
                net_total=result.net_total,
                created_by=by,
            )
    except IntegrityError:
        raise ValidationFailed(
            _("This report of %(i)s is imported already.") % {"i": intermediary},
            code="payout_report_duplicate",
            fields={"number": number},
        ) from None
    # the orders the lines will pay, locked in ascending id order, then their customers'
    # ledger balances in ascending customer id (the ledger's first lock, taken here up front:
    # paying the lines in file order would otherwise lock the customers in file order, and
    # two imports meeting in opposite order would deadlock); then match again under the
    # locks (what is open may have changed since the preview)
    locked = c.lock_orders([t["row"].order_id for t in todo])
    lock_balances(order.customer_id for order in locked.values())
    entries: list[IntermediaryEntry] = []
    for item in todo:
        row: PayoutRow = item["row"]
        line = PayoutLine.objects.create(
            report=report,
            row=row.row,
            reference=row.reference,
            order_number=row.order_number,
            invoice_number=row.invoice_number,
            payer=row.payer,
            paid_on=item["paid_on"],
            items=item["items"],
            gross=item["gross"],
            commission=item["commission"],
            net=item["net"],
            commission_expected=item["expected"],
            status=LineStatus.UNMATCHED,
        )
        entries += _entries(intermediary, report, line)
        match = _rematch(row, item, intermediary.currency_id)
        if match.ok:
            refusal = _apply_line(
                by=by,
                intermediary=intermediary,
                report=report,
                line=line,
                match=match,
                by_hand=False,
            )
            if refusal is not None:
                match = _refusal(refusal.code, refusal.detail)
        if not match.ok:
            line.reason, line.reason_detail = match.code, match.detail[:500]
            line.save(update_fields=["reason", "reason_detail"])
        row.set_match(match)
        row.line_id, row.payment_id = line.pk, line.payment_id
    IntermediaryEntry.objects.bulk_create(entries)
    record(
        action="payments.payout_report.imported",
        obj=report,
        by=by,
        stream=f"payments.intermediary:{intermediary.pk}",
        data={
            "number": report.number,
            "lines": len(todo),
            "matched": result.matched,
            "to_review": result.to_review,
            "gross": report.gross_total,
            "commission": report.commission_total,
            "net": report.net_total,
            "currency": report.currency_id,
        },
    )
    result.report_id = report.pk
    return result


def _rematch(row: PayoutRow, item: dict[str, Any], currency: str) -> Match:
    """The preview's match, planned again under the order locks against what is open now
    (the lines applied before this one are in the ledger already)."""
    if not row.match:
        return _refusal(row.review, row.review_detail)
    order = Order.objects.get(pk=row.order_id)
    invoice = Invoice.objects.get(pk=row.invoice_id) if row.invoice_id else None
    return plan_for(invoice, order, gross=item["gross"], currency=currency, consumed={})


# --- the review queue ----------------------------------------------------------------------


def _line(value: Any) -> PayoutLine:
    try:
        return PayoutLine.objects.select_related("report__intermediary").get(
            pk=int(getattr(value, "pk", value))
        )
    except (PayoutLine.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such payout line."), code="payout_line_not_found") from None


def _lock_open_line(pk: int) -> PayoutLine:
    line = (
        PayoutLine.objects.select_for_update(of=("self",))
        .select_related("report__intermediary")
        .get(pk=pk)
    )
    if line.status != LineStatus.UNMATCHED:
        raise Conflict(
            _("This line is %(s)s already.") % {"s": line.get_status_display()},
            code="payout_line_resolved",
        )
    return line


@atomic_with_retry
def payout_line_match(*, by, line: Any, invoice: Any = None, order: Any = None) -> PayoutLine:
    """Match a waiting line to the invoice (or the order) chosen by hand: the customer's debt
    closes by the line's gross amount. Raises `payments_not_permitted`,
    `payout_line_not_found` (404), `payout_line_resolved` (409), `payout_target_required`,
    `invoice_not_found`, `order_not_found`, and the matching refusals (`invoice_not_posted`,
    `currency_mismatch`, `nothing_open`, `amount_exceeds_open`) or billing's."""
    c.require_manage(by, _("payout line"))
    found = _line(line)
    if invoice not in (None, ""):
        target_invoice = c.invoice_or_404(invoice)
        target_order = target_invoice.order
    elif order not in (None, ""):
        target_invoice = None
        try:
            target_order = Order.objects.get(pk=int(getattr(order, "pk", order)))
        except (Order.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("No such order."), code="order_not_found") from None
    else:
        raise ValidationFailed(
            _("Choose the invoice or the order this line pays."),
            code="payout_target_required",
            fields={"invoice": None},
        )
    c.lock_order(target_order.pk)
    line = _lock_open_line(found.pk)
    report = line.report
    match = plan_for(
        target_invoice, target_order, gross=line.gross, currency=report.currency_id, consumed={}
    )
    if not match.ok:
        raise ValidationFailed(match.detail, code=match.code)
    refusal = _apply_line(
        by=by,
        intermediary=report.intermediary,
        report=report,
        line=line,
        match=match,
        by_hand=True,
    )
    if refusal is not None:
        raise refusal
    return line


@atomic_with_retry
def payout_line_dismiss(*, by, line: Any, reason: str) -> PayoutLine:
    """Take a waiting line off the queue without paying any invoice (not our customer's, a
    line the intermediary corrects in its next report). Its amounts stay in the intermediary's
    ledger. Raises `payments_not_permitted`, `payout_line_not_found`, `payout_line_resolved`,
    `resolution_reason_required`."""
    c.require_manage(by, _("payout line"))
    found = _line(line)
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            _("Say why."), code="resolution_reason_required", fields={"reason": None}
        )
    line = _lock_open_line(found.pk)
    line.status = LineStatus.DISMISSED
    line.dismissed_reason = text
    line.matched_by, line.matched_at = by, c.now()
    line.save(update_fields=["status", "dismissed_reason", "matched_by", "matched_at"])
    intermediary = line.report.intermediary
    Intermediary.objects.select_for_update(of=("self",)).get(pk=intermediary.pk)
    record(
        action="payments.payout_line.dismissed",
        obj=line,
        by=by,
        stream=f"payments.intermediary:{intermediary.pk}",
        data={"report": line.report.number, "row": line.row, "reason": text, "gross": line.gross},
    )
    return line


def intermediary_balance(intermediary: Intermediary) -> dict[str, Decimal]:
    """What the intermediary owes us per currency (collected - commission - transferred)."""
    rows = (
        IntermediaryEntry.objects.filter(intermediary=intermediary)
        .values("currency_id")
        .annotate(total=Sum("amount"))
    )
    return {r["currency_id"]: quantize(r["total"] or ZERO, r["currency_id"]) for r in rows}
