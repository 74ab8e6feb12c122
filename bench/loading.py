"""Bulk loading for the bench generator: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

UTC = dt.UTC


def _lite(value: Any) -> Any:
    """A value as Django stores it in SQLite (naive UTC datetimes, ISO dates, text decimals)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def column_defaults(model, columns) -> tuple[tuple[str, ...], tuple]:
    """(columns, default values) of the model's columns not in `columns` (the primary key
    aside): what a bulk insert must add so that fields added later need no change here."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in columns or f.primary_key:
            continue
        value = f.get_default()  # "" for a text field without one
        if value is None and not f.null:
            raise RuntimeError(
                f"{model._meta.db_table}.{f.column} has no default: bench.generate must fill it"
            )
        if isinstance(value, dict | list):
            value = json.dumps(value)
        names.append(f.column)
        values.append(value)
    return tuple(names), tuple(values)


class Loader:
    """Bulk insert of tuples: COPY on PostgreSQL, executemany on SQLite.

    Columns of the model that the caller does not give get the field's default, so a field
    added later (with a default, as migrations need anyway) does not break the generator."""

    def __init__(self, conn=None) -> None:
        self.conn = conn or connection

    def load(self, model, columns: tuple[str, ...], rows) -> int:
        extra_names, extra = column_defaults(model, columns)
        table = model._meta.db_table
        columns = columns + extra_names
        if extra:
            rows = (row + extra for row in rows)
        count = 0
        names = ", ".join(columns)
        with self.conn.cursor() as cursor:
            if self.conn.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
                batch = []
                for row in rows:
                    batch.append(tuple(_lite(v) for v in row))
                    if len(batch) >= 5000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        return count


def next_id(model) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def reset_sequences(models: list) -> None:
    sql = connection.ops.sequence_reset_sql(no_style(), models)
    if sql:
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


def dec(value: Decimal) -> str:
    """audit.services.jsonable() for a Decimal, inlined for speed."""
    return format(value.normalize(), "f")
