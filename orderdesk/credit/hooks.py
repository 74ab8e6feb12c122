"""How credit tells orders that a held order was released (credit may not import orders).

orders registers `on_released(handler)` from its wiring; `handler(by=, order_id=, hold=)`
moves the order out of credit hold (and commits its exposure) in the same transaction.
`on_lock(handler)`: `handler(order_id)` locks the order row before the credit account.
"""

from __future__ import annotations

from collections.abc import Callable

_HANDLERS: dict[str, Callable | None] = {"released": None, "lock": None}


def on_released(handler: Callable) -> None:
    _HANDLERS["released"] = handler


def on_lock(handler: Callable) -> None:
    _HANDLERS["lock"] = handler


def call(name: str, *args, **kwargs):
    handler = _HANDLERS.get(name)
    return handler(*args, **kwargs) if handler else None
