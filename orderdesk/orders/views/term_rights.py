"""The rights matrix page: which role may change which term of an order (administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orderdesk.core.errors import DomainError, PermissionRefused
from orderdesk.core.roles import Role, is_admin

from .. import services
from ..choices import Term
from ._base import forbidden, refuse


def _context(matrix: dict[str, list[str]]) -> dict:
    return {
        "terms": Term.choices,
        "rows": [
            {
                "role": role,
                "label": label,
                "cells": [
                    {"term": term, "key": f"{role}:{term}", "on": term in matrix.get(role, [])}
                    for term, _label in Term.choices
                ],
            }
            for role, label in Role.choices
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def term_rights(request):
    """GET: the matrix; POST: the ticked cells become the matrix (services.term_rights_set)."""
    if not is_admin(request.user):
        return forbidden(
            request,
            PermissionRefused(
                _("Only an administrator changes the rights on order terms."),
                code="term_rights_forbidden",
            ),
        )
    if request.method == "POST":
        ticked = set(request.POST.getlist("right"))
        rights = {
            role: [term for term in Term.values if f"{role}:{term}" in ticked]
            for role in Role.values
        }
        try:
            services.term_rights_set(by=request.user, rights=rights)
        except DomainError as exc:
            return refuse(
                request, exc, "orders/term_rights.html", _context(services.term_rights_matrix())
            )
        messages.success(request, _("Rights on order terms saved."))
        return redirect("orders:term_rights")
    return render(request, "orders/term_rights.html", _context(services.term_rights_matrix()))
