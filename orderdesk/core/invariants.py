"""Invariants the data must keep, checked by `orderdesk reconcile`.

An invariant is a promise about stored rows that no single constraint states: a header equals
the sum of its lines, a line never ships more than is left of it, document numbers run without
gaps. Each app declares its own in an `invariants.py` module (found like `admin.py`, see
`autodiscover`) or from its `AppConfig.ready()`:

    register_invariant(
        "billing.invoiced_within_shipped",
        "SELECT ... FROM ... WHERE <the broken rule>",
        description="An order line is never invoiced beyond what was shipped.",
    )

The check is either SQL that returns one row per violation (the row's columns are the
report), or a callable returning an iterable of violation texts. SQL runs on SQLite and on
PostgreSQL, so keep to the SQL both speak. SQLite keeps decimals as floating point: compare
amounts with `AMOUNT_TOLERANCE` and quantities with `QUANTITY_TOLERANCE` (half of the
smallest stored step) rather than with `=`.

`run()` reads every check inside one transaction (REPEATABLE READ, read-only on PostgreSQL),
so a check made of several queries sees one moment and a busy system gives no false alarm.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.module_loading import autodiscover_modules

# Amount columns have 2 decimal places, quantities 3: a real difference is at least one step.
AMOUNT_TOLERANCE = "0.005"
QUANTITY_TOLERANCE = "0.0005"

Check = str | Callable[[], Iterable[str]]


@dataclass(frozen=True)
class Invariant:
    name: str
    check: Check
    description: str = ""


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


_INVARIANTS: dict[str, Invariant] = {}
_discovered = False


def register_invariant(name: str, check: Check, *, description: str = "") -> None:
    """Declare an invariant (`app.rule` name); registering a name again replaces it."""
    if not re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_.]+", name):
        raise ValueError(f"invariant name {name!r} is not 'app.rule' in snake case")
    _INVARIANTS[name] = Invariant(name, check, description)


def autodiscover() -> None:
    """Import `<app>.invariants` of every installed app once (where apps register)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("invariants")
        _discovered = True


def invariants() -> list[Invariant]:
    autodiscover()
    return [_INVARIANTS[name] for name in sorted(_INVARIANTS)]


def _render(columns: list[str], row: tuple) -> str:
    return ", ".join(f"{col}={value}" for col, value in zip(columns, row, strict=True))


def _violations_of(invariant: Invariant) -> Iterator[Violation]:
    if callable(invariant.check):
        for detail in invariant.check():
            yield Violation(invariant.name, str(detail))
        return
    with connection.cursor() as cursor:
        cursor.execute(invariant.check)
        columns = [col[0] for col in cursor.description]
        for row in cursor.fetchall():
            yield Violation(invariant.name, _render(columns, row))


def run(names: Iterable[str] | None = None) -> list[Violation]:
    """Every violation of the named invariants (all when `names` is None), in name order."""
    chosen = invariants()
    if names is not None:
        wanted = set(names)
        unknown = wanted - {inv.name for inv in chosen}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        chosen = [inv for inv in chosen if inv.name in wanted]
    found: list[Violation] = []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # one snapshot for every query of every check; nothing here writes
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for invariant in chosen:
            found.extend(_violations_of(invariant))
    return found


# --- a reusable check: gap-free document numbers -------------------------------------------

NUMBER_RE = re.compile(r"^(?P<prefix>.*)-(?P<year>\d{4})-(?P<seq>\d+)$")


def _ranges(values: list[int], limit: int = 20) -> str:
    """[3, 4, 5, 9] -> '3-5, 9' (at most `limit` ranges, then how many more)."""
    spans: list[list[int]] = []
    for v in values:
        if spans and v == spans[-1][1] + 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    text = [f"{a}-{b}" if a != b else str(a) for a, b in spans[:limit]]
    if len(spans) > limit:
        text.append(f"... {len(spans) - limit} more")
    return ", ".join(text)


def number_series_check(
    *, series_key: str, table: str, column: str = "number", where: str = ""
) -> Callable[[], Iterator[str]]:
    """A check that the numbers in `table.column` (rows matching `where`) of the series
    `series_key` are `<prefix>-<year>-<n>`, unique, run 1..max per year without a gap, and
    that the series counter (core_numberseries.last_value) equals that max.

    A counter above the max means numbers were taken and their documents lost; below it, the
    next number taken would collide with an existing one.
    """
    condition = f" WHERE {where}" if where else ""

    def check() -> Iterator[str]:
        per_year: dict[int, list[int]] = defaultdict(list)
        with connection.cursor() as cursor:
            # table, column and where come from code (register calls), never from input
            cursor.execute(f"SELECT {column} FROM {table}{condition}")
            for (number,) in cursor.fetchall():
                match = NUMBER_RE.match(number or "")
                if match is None:
                    yield f"{table}.{column} {number!r} is not <prefix>-<year>-<n>"
                    continue
                per_year[int(match["year"])].append(int(match["seq"]))
            cursor.execute(
                "SELECT year, last_value FROM core_numberseries WHERE key = %s", [series_key]
            )
            counters = dict(cursor.fetchall())
        for year in sorted(set(per_year) | set(counters)):
            seqs = sorted(per_year.get(year, []))
            label = f"series {series_key} {year}"
            counts = Counter(seqs)
            seen = set(counts)
            duplicates = sorted(s for s, n in counts.items() if n > 1)
            if duplicates:
                yield f"{label}: numbers used more than once: {_ranges(duplicates)}"
            top = seqs[-1] if seqs else 0
            missing = sorted(set(range(1, top + 1)) - seen)
            if missing:
                yield f"{label}: numbers missing: {_ranges(missing)}"
            counter = counters.get(year)
            if counter is None:
                yield f"{label}: {len(seen)} numbers but no counter row"
            elif counter != top:
                yield f"{label}: counter is {counter} but the highest number is {top}"

    return check
