"""The agent's settlement document (звіт агента / акт) of a payout report, as PDF.

Rendered by billing's PDF machinery (WeasyPrint, the bundled DejaVu font, the company's
legal details); the wording is kept here, like billing's, independent of UI translations.
"""

from __future__ import annotations

from django.db.models import Sum

from orderdesk.billing import pdf as billing_pdf
from orderdesk.core.money import ZERO

from .choices import LineStatus
from .models import PayoutReport
from .services.payouts import intermediary_balance

LABELS = {
    "uk": {
        "title": "Звіт агента про отримані кошти та акт наданих послуг",
        "principal": "Принципал",
        "agent": "Агент",
        "agent_contract": "Агентський договір",
        "report_no": "Звіт агента",
        "intro": "Агент отримав від покупців кошти на користь Принципала, утримав винагороду "
        "та перерахував решту Принципалу:",
        "row": "Рядок",
        "reference": "Посилання",
        "document": "Рахунок / замовлення",
        "paid_on": "Дата оплати",
        "gross": "Отримано від покупця",
        "commission": "Винагорода агента",
        "net": "Перераховано",
        "state": "Стан",
        "matched": "зараховано",
        "unmatched": "на розгляді",
        "dismissed": "відхилено",
        "totals": "Разом",
        "collected": "Всього отримано від покупців",
        "fee": "Винагорода агента (послуги надано)",
        "transferred": "Перераховано Принципалу",
        "balance": "Заборгованість агента перед Принципалом на дату звіту",
        "fee_words": "Вартість наданих послуг",
        "no_claims": "Сторони претензій щодо обсягу та якості послуг не мають.",
        "signature_principal": "Від Принципала",
        "signature_agent": "Від Агента",
    },
    "en": {
        "title": "Agent's report on collected funds and certificate of services",
        "principal": "Principal",
        "agent": "Agent",
        "agent_contract": "Agency contract",
        "report_no": "Agent's report",
        "intro": "The agent collected from buyers for the principal, kept its fee and "
        "transferred the rest to the principal:",
        "row": "Row",
        "reference": "Reference",
        "document": "Invoice / order",
        "paid_on": "Paid on",
        "gross": "Paid by the buyer",
        "commission": "Agent's fee",
        "net": "Transferred",
        "state": "State",
        "matched": "applied",
        "unmatched": "under review",
        "dismissed": "dismissed",
        "totals": "Total",
        "collected": "Collected from buyers",
        "fee": "Agent's fee (services rendered)",
        "transferred": "Transferred to the principal",
        "balance": "Owed by the agent to the principal on the report date",
        "fee_words": "Value of the services",
        "no_claims": "The parties have no claims about the scope or quality of the services.",
        "signature_principal": "For the principal",
        "signature_agent": "For the agent",
    },
}


def payout_report_pdf(report: PayoutReport, *, lang: str = "uk") -> tuple[str, bytes]:
    """(file name, PDF bytes) of the agent's report for one payout report; answers
    `pdf_unavailable` (503) where WeasyPrint cannot load."""
    lang = billing_pdf.language(lang)
    lines = list(report.lines.select_related("invoice", "order").order_by("row"))
    totals = report.lines.aggregate(g=Sum("gross"), c=Sum("commission"), n=Sum("net"))
    balance = intermediary_balance(report.intermediary).get(report.currency_id, ZERO)
    context = {
        "P": LABELS[lang],
        "report": report,
        "intermediary": report.intermediary,
        "lines": lines,
        "states": {s: LABELS[lang][s] for s in LineStatus.values},
        "gross": totals["g"] or ZERO,
        "commission": totals["c"] or ZERO,
        "net": totals["n"] or ZERO,
        "balance": balance,
        "title": LABELS[lang]["title"],
        "date_text": billing_pdf.long_date(report.report_date, lang),
        "contract_date": billing_pdf.long_date(report.intermediary.contract_date, lang)
        if report.intermediary.contract_date
        else "",
        "fee_words": billing_pdf.in_words(report.commission_total, report.currency_id, lang),
        "doc": report,
    }
    name = f"agent-report-{report.intermediary.code}-{report.number}-{lang}.pdf".replace("/", "-")
    return name, billing_pdf.render_pdf("payments/pdf/agent_report.html", context, lang=lang)
