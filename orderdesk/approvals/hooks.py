"""How approvals tell the app that asked for them (orders) what happened.

approvals may not import orders; orders registers handlers here from its wiring:

- `on_lock(handler)`: `handler(approval)` locks the subject's row first (the caller's
  serialization point), so every writer takes the subject lock before the approval's.
- `on_step(handler)`: `handler(approval=, action=, by=, data=)` for each step worth the
  subject's timeline (started, stage decided, comment, escalated).
- `on_decided(handler)`: `handler(approval=, outcome=, by=, comment=)` once the approval ends
  (approved, rejected, returned).
"""

from __future__ import annotations

from collections.abc import Callable

_HANDLERS: dict[str, Callable | None] = {"lock": None, "step": None, "decided": None}


def on_lock(handler: Callable) -> None:
    _HANDLERS["lock"] = handler


def on_step(handler: Callable) -> None:
    _HANDLERS["step"] = handler


def on_decided(handler: Callable) -> None:
    _HANDLERS["decided"] = handler


def call(name: str, *args, **kwargs):
    handler = _HANDLERS.get(name)
    return handler(*args, **kwargs) if handler else None
