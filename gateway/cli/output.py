"""Printing for the CLI: rich tables for people, ``--json`` for scripts; errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from rich.console import Console
from rich.table import Table

# Piped output is not squeezed into 80 columns: a listing stays one row per record.
_console = Console(soft_wrap=True)
if not _console.is_terminal:
    _console = Console(soft_wrap=True, width=200)


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=_default, ensure_ascii=False) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    _console.print(table)


def listing(title: str, records: Sequence[dict[str, object]], columns: Sequence[str], as_json: bool) -> None:
    """Print ``records`` as JSON (every field) or as a table (the named columns)."""
    if as_json:
        print_json(list(records))
        return
    if not records:
        _console.print(f"{title}: none")
        return
    print_table(title, columns, [[r.get(c) for c in columns] for r in records])


def info(text: str) -> None:
    _console.print(text)


def error_line(text: str) -> None:
    sys.stderr.write(f"error: {text}\n")
