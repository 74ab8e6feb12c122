"""SQLite's LIKE folds case for ASCII letters only, so a search for "альфа" would miss
"Альфа". On SQLite connections LIKE is replaced by a Unicode case-folding match (PostgreSQL
uses UPPER()/ILIKE and needs nothing)."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=512)
def _pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | re.IGNORECASE)


def _like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    return _pattern(str(pattern).casefold(), escape).fullmatch(str(value).casefold()) is not None


def unicode_like(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("like", 2, _like, deterministic=True)
    connection.connection.create_function("like", 3, _like, deterministic=True)
