"""The rights matrix on order terms: which role may change which term. The administrator's.

Each role's rights are history in the stream of the role's group row (`auth.group:<pk>`),
which the service locks (in primary-key order, so two administrators saving at once queue
instead of deadlocking).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.core import cache
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.core.roles import Role, is_admin

from ..choices import Term
from ..models import TermRight


def term_rights_matrix() -> dict[str, list[str]]:
    """{role: [terms]} for every role (an empty list for a role without rights)."""
    out: dict[str, list[str]] = {role: [] for role in Role.values}
    for role, term in TermRight.objects.order_by("role", "term").values_list("role", "term"):
        out.setdefault(role, []).append(term)
    return out


@atomic_with_retry
def term_rights_set(*, by, rights: dict[str, Any]) -> dict[str, list[str]]:
    """Replace the terms of the roles given ({role: [term, ...]}; roles not given keep theirs).

    Administrator only (`term_rights_forbidden`); an unknown role is `role_unknown`, an
    unknown term `term_unknown`, a value that is not a list `terms_invalid`. Every role whose
    terms change gets an event `orders.term_rights.changed` with before -> after.
    """
    if not is_admin(by):
        raise PermissionRefused(
            _("Only an administrator changes the rights on order terms."),
            code="term_rights_forbidden",
        )
    wanted: dict[str, list[str]] = {}
    for role, terms in (rights or {}).items():
        if role not in Role.values:
            raise ValidationFailed(
                _("Unknown role “%(r)s”.") % {"r": role},
                code="role_unknown",
                fields={f"rights.{role}": "unknown"},
            )
        if not isinstance(terms, list | tuple | set | frozenset):
            raise ValidationFailed(
                _("The terms of a role are a list."),
                code="terms_invalid",
                fields={f"rights.{role}": str(terms)[:80]},
            )
        for term in terms:
            if term not in Term.values:
                raise ValidationFailed(
                    _("Unknown term “%(t)s”.") % {"t": term},
                    code="term_unknown",
                    fields={f"rights.{role}": str(term)},
                )
        wanted[role] = sorted(set(terms))
    groups = {
        g.name: g for g in Group.objects.select_for_update().filter(name__in=wanted).order_by("pk")
    }
    current = term_rights_matrix()
    for role, terms in wanted.items():
        before = current.get(role, [])
        if before == terms:
            continue
        with transaction.atomic():
            TermRight.objects.filter(role=role).exclude(term__in=terms).delete()
            TermRight.objects.bulk_create(
                [TermRight(role=role, term=t) for t in terms if t not in before]
            )
            cache.bump()  # bulk_create sends no post_save: tell the process caches ourselves
        group = groups.get(role) or Group.objects.select_for_update().get_or_create(name=role)[0]
        record_many(
            stream=stream_of(group),
            entries=[
                Entry(
                    "orders.term_rights.changed",
                    group,
                    {"terms": {"from": before, "to": terms}},
                    {"role": role},
                )
            ],
            by=by,
        )
    return term_rights_matrix()
