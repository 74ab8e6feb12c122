"""Run in a separate process whose DATABASE_URL points at a database that cannot be reached
(see test_outage.py): request a page and the API as a signed-in user would, print what came
back as JSON. Nothing is mocked: the connection really fails."""

from __future__ import annotations

import json
import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderdesk.settings")
    django.setup()
    from django.test import Client

    out: dict = {}
    # a session cookie and a token: the user is looked up in the database
    requests = {
        "page": ("/orders/", {"HTTP_COOKIE": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}),
        "api_token": ("/api/v1/orders/", {"HTTP_AUTHORIZATION": "Token 0123456789abcdef"}),
        "api_session": (
            "/api/v1/orders/",
            {"HTTP_COOKIE": "sessionid=abcdefghijklmnopqrstuvwxyz012345"},
        ),
    }
    client = Client(raise_request_exception=False)
    for name, (url, extra) in requests.items():
        response = client.get(url, **extra)
        out[name] = {
            "status": response.status_code,
            "headers": {k.lower(): v for k, v in response.headers.items()},
            "body": response.content.decode("utf-8", "replace"),
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
