"""Payment services: every write to links, provider events, holds, intermediaries and payout
reports goes through these."""

from .events import event_apply, security_event_record, webhook_receive
from .holds import hold_apply, hold_dismiss
from .intermediaries import intermediary_create, intermediary_update
from .links import link_issue, payment_link_create
from .payouts import (
    intermediary_balance,
    payout_check,
    payout_import,
    payout_line_dismiss,
    payout_line_match,
)
from .polling import PollResult, poll_payment_links

__all__ = [
    "PollResult",
    "event_apply",
    "hold_apply",
    "hold_dismiss",
    "intermediary_balance",
    "intermediary_create",
    "intermediary_update",
    "link_issue",
    "payment_link_create",
    "payout_check",
    "payout_import",
    "payout_line_dismiss",
    "payout_line_match",
    "poll_payment_links",
    "security_event_record",
    "webhook_receive",
]
