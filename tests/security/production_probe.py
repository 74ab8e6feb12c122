"""Run in a separate process with the production environment (see test_hardening.py): load the
settings as production loads them, request a few pages, print what came back as JSON.

The test process itself runs the development profile; settings are read once per process,
so the production profile can only be looked at from another one.
"""

from __future__ import annotations

import json
import os
import sys

import django


def boom(request):
    raise RuntimeError("secret detail of a server error: DATABASE_PASSWORD=hunter2")


urlpatterns: list = []


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderdesk.settings")
    django.setup()
    from django.conf import settings
    from django.test import Client, override_settings
    from django.urls import include, path

    urlpatterns[:] = [path("boom/", boom), path("", include(settings.ROOT_URLCONF))]
    host = settings.ALLOWED_HOSTS[0]
    out: dict = {
        "DEBUG": settings.DEBUG,
        "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
        "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
        "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
        "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
        "API_RATE_USER": settings.ORDERDESK["API_RATE_USER"],
        "API_RATE_ANON": settings.ORDERDESK["API_RATE_ANON"],
        "CACHE": settings.CACHES["default"],
    }
    client = Client(raise_request_exception=False, HTTP_HOST=host)
    with override_settings(ROOT_URLCONF=__name__):
        plain = client.get("/login/")
        out["http_redirect"] = [plain.status_code, plain.headers.get("Location", "")]
        for name, url in (("login", "/login/"), ("missing", "/no-such-page/"), ("boom", "/boom/")):
            response = client.get(url, secure=True)
            out[name] = {
                "status": response.status_code,
                "headers": {k.lower(): v for k, v in response.headers.items()},
                "cookies": {
                    name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"])}
                    for name, m in response.cookies.items()
                },
                "body": response.content.decode("utf-8", "replace"),
            }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
