"""Exit 0 when the PostgreSQL server of a URL answers (used by `make test`)."""

import sys

import psycopg


def main(url: str) -> int:
    base = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(base, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
