"""CSRF on every form: every page a role can open is rendered, and every <form method="post">
in it must carry a csrfmiddlewaretoken; a page with htmx writes (hx-post, hx-delete...) must
send the token in the X-CSRFToken header. The enforcement itself (403 without the token) is in
test_hardening.py.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.test import Client

from .matrix import route_for
from .routes import all_entries, content_of, is_scoped, url_of

pytestmark = pytest.mark.django_db

HTMX_WRITES = ("hx-post", "hx-put", "hx-patch", "hx-delete")
# the pages (not the API, the schema viewers or Django's admin, whose forms are Django's own)
PAGES = [
    e
    for e in all_entries()
    if not e.key.startswith(("api/", "admin/")) and route_for(e.key) is not None
]


class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []  # {"action", "token"}
        self.open: list[dict] = []
        self.htmx_writes = 0
        self.header_token = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            form = {
                "action": a.get("action", ""),
                "post": (a.get("method") or "").lower() == "post",
            }
            form["token"] = ""
            self.forms.append(form)
            self.open.append(form)
        elif tag == "input" and a.get("name") == "csrfmiddlewaretoken" and self.open:
            self.open[-1]["token"] = a.get("value") or ""
        if any(h in a for h in HTMX_WRITES):
            self.htmx_writes += 1
        if "hx-headers" in a:
            with contextlib.suppress(ValueError):
                self.header_token = json.loads(a["hx-headers"]).get("X-CSRFToken", "")

    def handle_endtag(self, tag):
        if tag == "form" and self.open:
            self.open.pop()


@pytest.mark.parametrize("role", ["sales_manager", "sales_head", "accountant", "administrator"])
def test_every_post_form_on_every_page_carries_the_csrf_token(role, world):
    client = Client()
    client.force_login(world.actor(role))
    pages_seen, problems = 0, []
    for entry in PAGES:
        route = route_for(entry.key)
        if not route.read.allows(role, "own" if is_scoped(route, world, "get") else None):
            continue
        urls = [url_of(entry, route, world, role, "own")]
        if route.params.get("pk") == "order":  # the draft's card has the htmx line editor
            draft = replace(route, params={**route.params, "pk": "draft"})
            urls.append(url_of(entry, draft, world, role, "own"))
        for url in urls:
            pages_seen += check_page(client, url, problems)
    assert pages_seen >= 5, "too few pages rendered to judge"
    assert not problems, "\n".join(problems)


def check_page(client: Client, url: str, problems: list[str]) -> int:
    """Render `url`; note its forms without a token. 1 when it was an HTML page, else 0."""
    with transaction.atomic():
        response = client.get(url)
        transaction.set_rollback(True)
    if response.status_code != 200 or "html" not in response.headers.get("Content-Type", ""):
        return 0
    parser = Forms()
    parser.feed(content_of(response))
    for form in parser.forms:
        if form["post"] and not form["token"]:
            problems.append(f"{url}: <form method=post action={form['action']!r}> without token")
    if parser.htmx_writes and not parser.header_token:
        problems.append(f"{url}: htmx writes without the X-CSRFToken header")
    return 1
