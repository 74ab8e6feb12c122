"""Order events that apps above orders react to, in the same transaction.

`orders` may not import billing, credit or fulfillment; they register a handler here instead
(from their AppConfig.ready) and the order services call `emit` at the moment the event
happens, while the order row is still locked. A handler that raises undoes the whole action.
A reaction that must never undo the action when it fails runs in a savepoint of its own
(fulfillment's release at confirmation: when it fails, or a release blocker objects, it is
tried again after the commit), and one that must see the committed order is queued by the
handler itself with `transaction.on_commit` (fulfillment's release after other changes, and
closing).

Every `emit` handler is called with keyword arguments: `by` (the user acting; None for the
system), `order` (the locked `Order` as it is after the change) and those named below.

| event | emitted by | when | extra arguments |
|---|---|---|---|
| `ORDER_CONFIRMED` | `credit_flow.confirm_locked` | the first confirmation (confirm, last approval, release from credit hold) | — |
| `ORDER_CANCELLED` | `lifecycle.order_cancel` | the whole order was cancelled | — |
| `ORDER_CLOSED` | `lifecycle.order_close`, `closing.order_close_automatic` | closed by hand or by rule | `automatic` |
| `ORDER_CHANGED` | see `change` | something the order's fulfillment waits for moved | `change` |
| `LINES_REMOVING` | `entry.apply_changes` (an amendment of a non-draft order) | lines are about to be deleted (their rows still exist) | `lines` (the `OrderLine`s) |

`change` of `ORDER_CHANGED` is one of:

- `CHANGE_CONFIRMED` — the order is now confirmed: every confirmation, the first and any
  later one (after a reopened approval or a credit hold), from `credit_flow.confirm_locked`;
- `CHANGE_AMENDED` — `lifecycle.order_amend` changed it (its status may have moved on:
  reopened for approval, held);
- `CHANGE_PAYMENT` — `progress.order_payment_status_set` stored a new payment state (every
  ledger change billing and payments make ends there);
- `CHANGE_FULFILLMENT` — what is left to ship moved: `progress.order_lines_ship` (goods
  left), `line_cancel.order_line_cancel` (a quantity cancelled) or
  `progress.order_fulfillment_status_set` (a new fulfillment state).

Handlers today: billing issues the prepayment invoice on `ORDER_CONFIRMED`; fulfillment
returns reservations on `ORDER_CANCELLED`/`ORDER_CLOSED`, returns a removed line's
reservation on `LINES_REMOVING` (its row goes with the line), returns what an amended line
no longer needs on `CHANGE_AMENDED` (and reserves what it lacks when the order stays
confirmed), reserves on `CHANGE_CONFIRMED`, and after the commit
releases what became due and closes what is shipped and paid.

`ask` events collect answers instead: `RELEASE_BLOCKERS` (handlers get `order` and answer a
reason why it may not go to the warehouse, or None; credit control answers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

ORDER_CONFIRMED = "order_confirmed"
ORDER_CANCELLED = "order_cancelled"
ORDER_CLOSED = "order_closed"
ORDER_CHANGED = "order_changed"
LINES_REMOVING = "lines_removing"

# the `change` argument of ORDER_CHANGED
CHANGE_CONFIRMED = "confirmed"
CHANGE_AMENDED = "amended"
CHANGE_PAYMENT = "payment_status"
CHANGE_FULFILLMENT = "fulfillment_status"

# ask(): handlers answer a question about an order; the caller collects the answers
RELEASE_BLOCKERS = "release_blockers"  # -> a reason (str) why the order may not go to the warehouse

_HANDLERS: dict[str, list[tuple[str, Callable]]] = defaultdict(list)
_LOCK_FACTS: dict[str, Callable] = {}


def on(event: str, name: str, handler: Callable) -> None:
    """Register `handler(by=..., order=..., **extra)` for `event` under a unique `name`
    (re-registering replaces)."""
    _HANDLERS[event] = [(n, h) for n, h in _HANDLERS[event] if n != name] + [(name, handler)]


def emit(event: str, **kwargs) -> None:
    """Call every handler of `event` now, in the caller's transaction, in registration order."""
    for _name, handler in _HANDLERS.get(event, []):
        handler(**kwargs)


def ask(event: str, **kwargs) -> list:
    """Every registered handler's answer to `event`, without the Nones."""
    answers = []
    for _name, handler in _HANDLERS.get(event, []):
        answer = handler(**kwargs)
        if answer is not None:
            answers.append(answer)
    return answers


def lock_fact(name: str, build: Callable) -> None:
    """Ask the statement that locks an order for submitting or confirming
    (`entry.moving_shape`) to read `name` too: `build()` returns an expression on the order
    row (an `Exists(...)` of the app's own rows about the order). The locked order then
    carries it as an attribute, true as of the lock: a handler that skips a read on it must
    set it when it writes such rows itself. Registered before the first order is locked
    (the statement is compiled once per connection)."""
    _LOCK_FACTS[name] = build


def lock_facts() -> dict:
    """The registered lock facts, as annotations."""
    return {name: build() for name, build in _LOCK_FACTS.items()}
