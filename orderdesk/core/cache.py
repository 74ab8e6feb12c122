"""Process-wide caches of reference data (currencies, the default warehouse, the rights
matrix, discount policies, the billing policy), correct across processes.

Reference data is small, read on every order and changed by an administrator now and then.
Reading it costs a statement per kind per order; caching it per process saves those, but a
cache must never serve a value another process has since changed. The rule here:

- One row, `core_referenceversion`, holds a random **token**. Every save or delete of a
  tracked model (`track(...)`) writes a new token in the same transaction (`bump`), so the
  token changes exactly when committed reference data changes, and a rolled-back change
  leaves the old token (a new token is random, never reused: a value read inside a
  transaction that later rolled back is tagged with a token nobody will see again).
- A service reads the token *inside a query it makes anyway* (`version_subquery()`
  annotated on the customer in `order_create`, on the locked order in `order_confirm`) and
  runs its work inside `scope(token)`. A cached value is served only when it was loaded
  under the same token; otherwise it is loaded again and kept under the new token.
- Outside a scope (`cached()` without a token) the loader runs every time: no value is
  served that was not checked against the database in this transaction.

So a change made by any process is seen by the next order of every process, at no extra
statement. What bypasses `save()`/`delete()` (`QuerySet.update`, `bulk_create`, raw SQL)
must call `bump()` itself. Cached values are shared between threads: treat them as
read-only.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import router
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("od_ref_token", default=None)
_store: dict[str, tuple[str, Any]] = {}
_lock = threading.Lock()
_tracked: set[type] = set()
STATS = {"hits": 0, "loads": 0}


def version_subquery() -> Subquery:
    """The current token as a scalar subquery, to annotate on a query made anyway."""
    from .models import ReferenceVersion

    return Subquery(ReferenceVersion.objects.filter(pk=1).values("token")[:1])


def current_token(using: str = "default") -> str:
    """The token read with a statement of its own (for callers with no query to fold it in)."""
    from .models import ReferenceVersion

    return (
        ReferenceVersion.objects.using(using).filter(pk=1).values_list("token", flat=True).first()
        or ""
    )


@contextlib.contextmanager
def scope(token: str | None) -> Iterator[None]:
    """Serve cached reference data checked against `token` (None: no caching) while inside."""
    reset = _token.set(token)
    try:
        yield
    finally:
        _token.reset(reset)


def in_scope() -> bool:
    return _token.get() is not None


def cached(kind: str, loader: Callable[[], T]) -> T:
    """`loader()`'s value, from the process cache when it was loaded under the token of the
    current scope; outside a scope the loader always runs."""
    token = _token.get()
    if token is None:
        return loader()
    entry = _store.get(kind)
    if entry is not None and entry[0] == token:
        STATS["hits"] += 1
        return entry[1]
    value = loader()
    STATS["loads"] += 1
    with _lock:
        _store[kind] = (token, value)
    return value


def clear() -> None:
    """Forget every cached value in this process (the token still guards them; for tests)."""
    with _lock:
        _store.clear()


def bump(using: str = "default") -> None:
    """Reference data changed in this transaction: write a new token (and forget this
    process's values at once, so the rest of this transaction reads afresh)."""
    from .models import ReferenceVersion

    token = uuid.uuid4().hex
    updated = ReferenceVersion.objects.using(using).filter(pk=1).update(token=token)
    if not updated:
        ReferenceVersion.objects.using(using).get_or_create(pk=1, defaults={"token": token})
    clear()
    if _token.get() is not None:
        _token.set(token)  # values loaded later in this scope are kept under the new token


def _on_change(sender, instance=None, using=None, **kwargs) -> None:
    bump(using or router.db_for_write(sender))


def track(*models: type) -> None:
    """Bump the token whenever one of `models` is saved or deleted."""
    for model in models:
        if model in _tracked:
            continue
        _tracked.add(model)
        uid = f"core.cache:{model._meta.label}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + ":save", weak=False)
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + ":delete", weak=False)
