"""`?page=` on every list: a page number out of range, negative or not a number is a 404 or
the first page, never a server error (SQLite cannot take a huge OFFSET; PostgreSQL can but
must not be asked to)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .matrix import routes_for
from .routes import all_entries, url_of

pytestmark = pytest.mark.django_db

BAD_PAGES = ["99999999999999999999", "9223372036854775808", "100001", "-1", "0", "abc", "1e5"]
# pages of rows behind a parameter in the path (the report, its drill-down)
PAGED_WITH_PARAMS = {
    "reports/<slug:slug>/",
    "reports/<slug:slug>/drill/",
    "api/v1/reports/<slug:name>/",
}
# the lists: routes without a parameter in the path that the administrator may read
LISTS = [
    e
    for e in all_entries()
    if (not e.params or e.key in PAGED_WITH_PARAMS)
    and not e.key.startswith("admin/")
    and any(r.read.allows("administrator", None) for r in routes_for(e.key))
]


@pytest.fixture(scope="module")
def admin_client(world) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.actor("administrator"))
    return client


@pytest.mark.parametrize("entry", LISTS, ids=[e.key or "/" for e in LISTS])
def test_a_bad_page_number_is_never_a_server_error(entry, world, admin_client):
    [route, *_] = [r for r in routes_for(entry.key) if r.read.allows("administrator", None)]
    url = url_of(entry, route, world, "administrator", "own")
    join = "&" if "?" in url else "?"
    answers = {page: admin_client.get(f"{url}{join}page={page}").status_code for page in BAD_PAGES}
    assert all(status < 500 for status in answers.values()), f"{url}: {answers}"


@pytest.mark.parametrize(
    ("page", "status"),
    [
        ("99999999999999999999", 404),
        ("100001", 404),
        ("100000", 200),  # the last page a list may have: empty, with a way back
        ("-1", 200),
        ("abc", 200),
        ("", 200),
    ],
)
def test_the_billing_list_pages_within_bounds(world, admin_client, page, status):
    response = admin_client.get(reverse("billing:documents"), {"page": page})
    assert response.status_code == status
