"""Order events that apps above orders react to, in the same transaction.

`orders` may not import billing, credit or fulfillment; they register a handler here instead
(from their AppConfig.ready) and the order services call `emit` at the moment the event
happens, while the order row is still locked. A handler that raises undoes the whole action.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

ORDER_CONFIRMED = "order_confirmed"
# ask(): handlers answer a question about an order; the caller collects the answers
RELEASE_BLOCKERS = "release_blockers"  # -> a reason (str) why the order may not go to the warehouse

_HANDLERS: dict[str, list[tuple[str, Callable]]] = defaultdict(list)


def on(event: str, name: str, handler: Callable) -> None:
    """Register `handler(by=..., order=...)` for `event` under a unique `name` (re-registering replaces)."""
    _HANDLERS[event] = [(n, h) for n, h in _HANDLERS[event] if n != name] + [(name, handler)]


def emit(event: str, **kwargs) -> None:
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
