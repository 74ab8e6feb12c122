"""Request-wide safety nets: bad input and an unreachable database never become a 500.

SQLite stores integers in 64 bits and refuses, with OverflowError, a larger Python int bound
as a query parameter: an id in a filter (`?customer=99999999999999999999`) would answer 500
there, while PostgreSQL simply finds nothing. Views should refuse such values themselves; this
middleware is the last line, answering 400 `value_out_of_range` (the API's error shape for
/api/ paths, Django's 400 page otherwise) and logging the path so the view can be fixed.

A database that cannot be reached (refused, restarting, failed over; the SQLite file gone)
is not a bug of the request: 503 `database_unavailable` with `Retry-After`, logged as an
error, so a load balancer and an integration retry instead of reporting a server error. The
page is plain HTML: the site's templates read the user and the session, from the database.
(The API's exception handler answers the same for API views, `core/api.py`.)
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.defaults import bad_request

from .errors import database_unavailable, is_database_unreachable

log = logging.getLogger("orderdesk.security")
db_log = logging.getLogger("orderdesk.db")

# seconds a client is asked to wait before trying again after `database_unavailable`
RETRY_AFTER = 30


def log_database_unreachable(request, exc: BaseException) -> None:
    db_log.error("database unavailable, answered 503: %s %s: %s", request.method, request.path, exc)


def database_unavailable_response(request) -> HttpResponse:
    """503 `database_unavailable`: the API's error shape under /api/, a plain page otherwise."""
    error = database_unavailable()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error.as_dict(), status=error.status)
    else:
        title = escape(_("Service temporarily unavailable"))
        page = (
            f'<!doctype html><html lang="{escape(get_language() or "uk")}"><head>'
            f'<meta charset="utf-8"><title>{title}</title></head><body><main>'
            f"<h1>{title}</h1><p>{escape(error.detail)}</p>"
            f"<p><small>{error.code}</small></p></main></body></html>"
        )
        response = HttpResponse(page, status=error.status)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unreachable(exception):
            log_database_unreachable(request, exception)
            return database_unavailable_response(request)
        if not isinstance(exception, OverflowError):
            return None
        log.warning("value out of range answered 400: %s %s", request.method, request.path)
        detail = _("A number in the request is out of range.")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "value_out_of_range", "detail": detail, "fields": {}}, status=400
            )
        return bad_request(request, exception)
