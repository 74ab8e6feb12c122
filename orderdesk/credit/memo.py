"""What credit read in this transaction, served again while nothing it depends on changed.

The confirming transaction checks credit under the account lock and commits the order's
amount; the warehouse's release gate (`RELEASE_BLOCKERS`, in the same transaction since
issue 10) then asks about the same order again. The figures it needs are the ones the check
read a moment ago, moved by the commitment that credit itself just wrote. `services.commit`
keeps them here; `services.check(lock=False)` serves them instead of reading them again,
but only while all of this holds:

- **the same transaction, nothing rolled back.** The token holds Django's list of on-commit
  callbacks of the connection. Django replaces that list (a new object) at every COMMIT, every
  ROLLBACK and every rollback to a savepoint, and keeps it through a released savepoint; the
  token keeps a reference to the old list, so `is` cannot match a later transaction or a
  state after a rollback. A transaction marked for rollback (`needs_rollback`) serves nothing.
- **no write since that could move a figure.** Every save or delete of a tracked model
  (`track()`: the credit models, the customer's ledger balance and open items, the customer)
  in this thread — the connection's thread — moves a generation counter; the token keeps the
  generation it was taken at. Credit's own `QuerySet.update` calls `forget()` themselves;
  what else bypasses `save()`/`delete()` (raw SQL, `QuerySet.update` on these models) must
  call `forget()` too, like `core.cache.bump()`.
- **the same day** and the same customer, contract and order (the key).

Other transactions cannot move the figures meanwhile: the memo is kept only for figures read
under the customer's account lock, which every writer of limits' effects, commitments, blocks
and holds takes, and which this transaction keeps until it ends. A payment that another
transaction commits meanwhile lowers the exposure: the memo then answers as the gate would
have a moment earlier.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save

_local = threading.local()


def _generation() -> int:
    return getattr(_local, "generation", 0)


class Token:
    """Where the connection stands: this transaction (its on-commit list), this generation."""

    __slots__ = ("generation", "hooks")

    def __init__(self) -> None:
        self.hooks = connection.run_on_commit
        self.generation = _generation()

    def current(self) -> bool:
        return (
            connection.in_atomic_block
            and not connection.needs_rollback
            and connection.run_on_commit is self.hooks
            and _generation() == self.generation
        )


def token() -> Token | None:
    """A token for what is read now; None outside a transaction (nothing may be kept)."""
    if not connection.in_atomic_block or connection.needs_rollback:
        return None
    return Token()


def forget(**_kwargs: Any) -> None:
    """Something a credit figure depends on changed: serve nothing kept before it."""
    _local.generation = _generation() + 1
    _local.kept = {}


def keep(key: tuple, value: Any, tok: Token | None) -> None:
    """Keep `value` under `key` while `tok` is current (one entry: the last order checked)."""
    _local.kept = {key: (tok, value)} if tok is not None else {}


def get(key: tuple) -> Any | None:
    entry = getattr(_local, "kept", {}).get(key)
    if entry is None:
        return None
    tok, value = entry
    if not tok.current():
        _local.kept = {}
        return None
    return value


def track(*models: type) -> None:
    """Forget on every save and delete of these models (connected once, from apps.ready)."""
    for model in models:
        uid = f"credit.memo.{model._meta.label_lower}"
        post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}.save")
        post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}.delete")
