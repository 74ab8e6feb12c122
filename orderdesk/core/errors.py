"""Domain errors with stable codes.

Every refusal a user can meet is a DomainError: `code` is stable (English snake case, part
of the API contract), `detail` is a sentence a person understands (translated), `fields`
names the inputs at fault. The API, the pages and the commands map it the same way.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        detail: str = "",
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ):
        self.detail = str(detail)
        if code:
            self.code = code
        self.fields = fields or {}
        self.params = params or {}
        super().__init__(f"{self.code}: {self.detail}")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, "fields": self.fields}


class ValidationFailed(DomainError):
    """Input a user can correct."""

    status = 400
    code = "invalid"


class PermissionRefused(DomainError):
    """The acting user may not do this."""

    status = 403
    code = "permission_denied"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The state of the record does not allow the action (a transition, a posted document)."""

    status = 409
    code = "conflict"


class Busy(DomainError):
    """The database stayed busy after the bounded retries; the client may try again."""

    status = 503
    code = "busy_retry"


# --- the database itself --------------------------------------------------------------------

# SQLSTATE class 08 (connection exception); the server shutting down or refusing new connections
_UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


def is_database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (refused, gone, shutting down, the
    SQLite file cannot be opened) rather than that a statement failed.

    Client-side failures of psycopg carry no SQLSTATE; a failed statement always has one.
    """
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    module = type(cause).__module__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in _UNREACHABLE_SQLSTATES
    if module.startswith("sqlite3"):
        text = str(exc).lower()
        return "unable to open database" in text or "disk i/o error" in text
    return module.startswith("psycopg")


def database_unavailable() -> Busy:
    """The answer to a request that met an unreachable database: 503, try again later."""
    from django.utils.translation import gettext as _

    return Busy(
        _("The database cannot be reached at the moment; please try again in a minute."),
        code="database_unavailable",
    )
