"""Request-wide safety nets: bad input never becomes a server error.

SQLite stores integers in 64 bits and refuses, with OverflowError, a larger Python int bound
as a query parameter: an id in a filter (`?customer=99999999999999999999`) would answer 500
there, while PostgreSQL simply finds nothing. Views should refuse such values themselves; this
middleware is the last line, answering 400 `value_out_of_range` (the API's error shape for
/api/ paths, Django's 400 page otherwise) and logging the path so the view can be fixed.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import bad_request

log = logging.getLogger("orderdesk.security")


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OverflowError):
            return None
        log.warning("value out of range answered 400: %s %s", request.method, request.path)
        detail = _("A number in the request is out of range.")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "value_out_of_range", "detail": detail, "fields": {}}, status=400
            )
        return bad_request(request, exception)
