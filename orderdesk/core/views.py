"""View helpers shared by every app's pages: domain errors on a page, htmx fragments."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render

from .errors import DomainError


class HtmxTemplateMixin:
    """Render `fragment_template_name` (an `_`-prefixed partial) for htmx requests,
    the full page otherwise."""

    fragment_template_name: str | None = None

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and self.fragment_template_name:
            return [self.fragment_template_name]
        return super().get_template_names()


def error_status(exc: DomainError) -> int:
    return exc.status if exc.status in (400, 403, 404, 409, 503) else 400


def render_domain_error(request, exc: DomainError, template: str, context: dict) -> HttpResponse:
    """Show a refused action on the page it came from, with the code for support."""
    context = {**context, "domain_error": exc}
    if not getattr(request, "htmx", False):
        messages.error(request, f"{exc.detail} ({exc.code})")
    return render(request, template, context, status=error_status(exc))
