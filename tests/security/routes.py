"""Every URL pattern of the project, and how the matrix plays one: the URL, the methods, the
classification of an answer as allowed or refused."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlparse

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .matrix import Lit, Ref, Route, Upload
from .world import ROLES, SCOPES, World

WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Entry:
    key: str  # the pattern with its include prefixes: the matrix's key
    name: str | None  # namespace-qualified URL name
    params: tuple[str, ...]
    callback: Any

    @property
    def is_api(self) -> bool:
        return self.key.startswith("api/v1/")


def _params(pattern) -> tuple[str, ...]:
    # a RoutePattern compiles to a regex with one named group per <converter:name>
    return tuple(pattern.regex.groupindex)


def walk(resolver=None, prefix: str = "", namespace: str = "") -> Iterator[Entry]:
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            ns = namespace
            if item.namespace:
                ns = f"{namespace}:{item.namespace}" if namespace else item.namespace
            yield from walk(item, prefix + str(item.pattern), ns)
        elif isinstance(item, URLPattern):
            name = item.name and (f"{namespace}:{item.name}" if namespace else item.name)
            yield Entry(prefix + str(item.pattern), name, _params(item.pattern), item.callback)


def all_entries() -> list[Entry]:
    return list(walk())


def write_methods(entry: Entry) -> list[str]:
    """The writes the view answers; POST alone (to see it refused) when it has none."""
    callback = entry.callback
    actions = getattr(callback, "actions", None)
    if actions:
        methods = [m for m in WRITE_METHODS if m in actions]
    else:
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        methods = []
        if view_class is not None:
            methods = [
                m
                for m in WRITE_METHODS
                if m in view_class.http_method_names and callable(getattr(view_class, m, None))
            ]
    return methods or ["post"]


def _value(world: World, spec: str | Lit, role: str, scope: str) -> str:
    if isinstance(spec, Lit):
        return spec.value
    return str(world.record(spec, role, scope).pk)


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, Ref):
        yield value.name
    elif isinstance(value, dict):
        for v in value.values():
            yield from _refs(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _refs(v)


def resolve(value: Any, world: World, role: str, scope: str) -> Any:
    if isinstance(value, Ref):
        return world.record(value.name, role, scope).pk
    if isinstance(value, dict):
        return {k: resolve(v, world, role, scope) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, world, role, scope) for v in value]
    return value


def is_scoped(route: Route, world: World, method: str = "post") -> bool:
    """Whether the answer may depend on whose record: the URL names one (or, for a write,
    the body does)."""
    specs = [*route.params.values(), *route.query.values()]
    names = [s for s in specs if not isinstance(s, Lit)]
    if method != "get":
        names += list(_refs(route.body))
    return any(name not in world.shared for name in names)


def url_of(entry: Entry, route: Route, world: World, role: str, scope: str) -> str:
    kwargs = {name: _value(world, route.params[name], role, scope) for name in entry.params}
    if entry.name:
        url = reverse(entry.name, kwargs=kwargs)
    else:
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: kwargs[m[1]], entry.key)
    if route.query:
        query = {k: _value(world, v, role, scope) for k, v in route.query.items()}
        url += "?" + urlencode(query)
    return url


LOGIN_PATHS = ("/login/", "/admin/login/")


NOT_VISIBLE = ("_unknown", "_not_found")
REFUSED = ("_not_permitted", "_forbidden", "permission_denied", *NOT_VISIBLE)


def _refusal_message(response) -> bool:
    """Did the request leave an error message "… (code)" whose code is a refusal?"""
    from django.contrib.messages import constants

    storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
    for message in getattr(storage, "_queued_messages", []):
        found = re.search(r"\((\w+)\)$", str(message.message))
        if message.level >= constants.ERROR and found and found[1].endswith(REFUSED):
            return True
    return False


def _error_code(response) -> str:
    if "json" not in response.headers.get("Content-Type", ""):
        return ""
    try:
        return str(json.loads(response.content).get("code", ""))
    except (ValueError, AttributeError):
        return ""


def verdict(response) -> str:
    """'allow' (past the permission checks), 'deny', or 'error' (a 5xx, a throttle)."""
    code = response.status_code
    if code >= 500 or code == 429:
        return "error"
    if code in (401, 403, 404, 405):
        return "deny"
    if code in (301, 302, 303, 307, 308):
        # "log in first" is a redirect to a log-in page that names where to come back to
        location = urlparse(response.headers.get("Location", ""))
        to_login = location.path.startswith(LOGIN_PATHS) and "next=" in location.query
        # a page that shows a refusal as a message on the page it sends back to
        return "deny" if to_login or _refusal_message(response) else "allow"
    if code == 400 and _error_code(response).endswith(NOT_VISIBLE):
        return "deny"  # a record named in the body that the user may not see: "unknown"
    if 200 <= code < 300 or code in (400, 409):
        return "allow"
    return "error"


@dataclass(frozen=True)
class Observation:
    role: str
    scope: str | None
    method: str
    url: str
    status: int
    verdict: str
    expected: str
    body: str

    @property
    def wrong(self) -> bool:
        return self.verdict != self.expected

    def line(self) -> str:
        where = f"{self.scope} record" if self.scope else "-"
        return (
            f"  {self.role:<17} {where:<16} {self.method.upper():<6} {self.url}: "
            f"{self.status} = {self.verdict}, declared {self.expected}"
        )


def _file(value: Any) -> Any:
    if isinstance(value, Upload):
        return SimpleUploadedFile(value.name, value.content.encode())
    return value


def request(client: Client, entry: Entry, method: str, url: str, body: dict | None = None):
    """One request in a savepoint that is rolled back: writes allowed to pass change nothing
    for the requests after it."""
    kwargs: dict[str, Any] = {}
    uploads = any(isinstance(v, Upload) for v in (body or {}).values())
    if method != "get":
        if entry.is_api and not uploads:
            kwargs = {"data": json.dumps(body or {}), "content_type": "application/json"}
        elif method == "post":
            kwargs = {"data": {k: _file(v) for k, v in (body or {}).items()}}
    cookies = copy.deepcopy(client.cookies)  # a log-out must not log the next request out
    with transaction.atomic():
        response = getattr(client, method)(url, **kwargs)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def content_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def observe(entry: Entry, route: Route, world: World, clients: dict[str, Client]):
    for method in ("get", *write_methods(entry)):
        scopes: tuple[str | None, ...] = SCOPES if is_scoped(route, world, method) else (None,)
        for role in ROLES:
            for scope in scopes:
                url = url_of(entry, route, world, role, scope or SCOPES[0])
                body = resolve(route.body, world, role, scope or SCOPES[0])
                response = request(clients[role], entry, method, url, body)
                expected = "allow" if route.expected(method).allows(role, scope) else "deny"
                shown = ""
                if method == "get" and 200 <= response.status_code < 300:
                    shown = content_of(response)
                yield Observation(
                    role,
                    scope,
                    method,
                    url,
                    response.status_code,
                    verdict(response),
                    expected,
                    shown,
                )
