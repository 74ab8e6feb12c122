"""Page numbers from the query string, for pages that page by offset.

`?page=` is user input: a number the database cannot take as an OFFSET (SQLite answers a
huge one with "datatype mismatch", an integrity error) must never reach the query. Missing,
not a number, or below 1 means the first page; above `MAX_PAGE` no page can exist, so it is
404 — the same answer Django's paginator gives to a page past the end (`ListView`, the API).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

# far beyond any real list (50 rows a page: 5 million rows), far below what an OFFSET holds
MAX_PAGE = 100_000


def page_number(value: str | None) -> int:
    """The page asked for: 1 unless `value` is a whole number from 1; Http404 above MAX_PAGE."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():  # "", "abc", "-1", "1e5", "١"
        return 1
    if len(text) > len(str(MAX_PAGE)) or int(text) > MAX_PAGE:
        raise Http404(_("No such page."))
    return max(1, int(text))


def page_slice(value: str | None, size: int) -> tuple[int, slice]:
    """(page, the slice of a queryset for that page plus one row to tell whether one follows)."""
    page = page_number(value)
    return page, slice((page - 1) * size, page * size + 1)
