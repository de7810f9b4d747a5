"""Bulk INSERTs that hand pre-converted rows straight to the database driver.

``connection.execute(insert(table), list_of_dicts)`` costs SQLAlchemy several
microseconds per row (parameter dictionaries, compiled-parameter construction, type
processing one value at a time); the driver's own ``executemany`` needs a fraction of
that. :class:`BulkInsert` keeps what matters from SQLAlchemy and drops the per-row
overhead:

* the statement is compiled once, by SQLAlchemy, from the table metadata for the
  connection's dialect (no SQL is ever assembled from data);
* values are converted by the very bind processors SQLAlchemy would apply (taken from
  each column's type for the dialect, TypeDecorators included), so this path and the
  ORM/Core path cannot store a value differently;
* rows go to the DBAPI cursor of the session's own connection, inside its
  transaction and SAVEPOINT: ``executemany`` on SQLite (and any other driver), or on
  PostgreSQL with psycopg 3 ``COPY ... FROM STDIN`` (see
  :mod:`erp_core.pg_copy`), several times faster than any form of INSERT
  there. Driver errors are re-raised wrapped as SQLAlchemy wraps them
  (``sqlalchemy.exc.IntegrityError`` for a duplicate key), so callers handle both
  paths alike.

Values are passed column by column and the rows are streamed to the driver, never
materialised as a list of tuples: tens of thousands of surviving tuples are what
makes Python's cyclic garbage collector run full collections in the middle of a
booking. The price of going around ``Connection.execute``: SQLAlchemy's cursor events
and echo log do not see these statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Dialect, Table, insert
from sqlalchemy.exc import DBAPIError, StatementError

if TYPE_CHECKING:
    from erp_core.pg_copy import CopyWriter

Processor = Callable[[Any], Any]

# Below this many rows ``executemany`` beats COPY, which costs extra round trips to set up.
COPY_MIN_ROWS = 64


class BulkInsert:
    """The INSERT of ``columns`` into ``table`` for one dialect, compiled once.

    ``columns`` must follow the table's column order (the order SQLAlchemy compiles
    positional parameters in; checked here so that a reordered model cannot silently
    shift values from one column to another).
    """

    def __init__(
        self, table: Table, columns: Sequence[str], dialect: Dialect, *, copy_min_rows: int = COPY_MIN_ROWS
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        compiled = insert(table).compile(dialect=dialect, column_keys=list(self.columns), for_executemany=True)
        if dialect.positional and tuple(compiled.positiontup or ()) != self.columns:
            raise ValueError(f"columns of {table.name} must be listed in table order: {compiled.positiontup}")
        self.statement = str(compiled)
        self._dialect = dialect
        self._processors = _processors(table, self.columns, dialect)
        self._copy = _copy_writer(table, self.columns, dialect)
        self._copy_min_rows = copy_min_rows

    def execute(self, connection: Connection, columns: Sequence[Sequence[Any]]) -> None:
        """Insert the rows given column-wise: ``columns[i][n]`` is column i of row n.

        Raw Python values go in; a value its column type refuses raises
        ``StatementError`` as it would through ``Connection.execute``.
        """
        if len(columns) != len(self.columns):
            raise ValueError(f"{len(self.columns)} columns expected, got {len(columns)}")
        rows = len(columns[0])
        if not rows:
            return
        try:
            converted = self.convert(columns)
        except (ValueError, TypeError) as exc:
            raise StatementError(str(exc), self.statement, None, exc) from exc
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is None:
            raise RuntimeError("the connection has been closed")
        use_copy = self._copy is not None and rows >= self._copy_min_rows
        dbapi = self._dialect.loaded_dbapi
        try:
            if self._copy is not None and use_copy:
                self._copy(dbapi_connection, zip(*converted, strict=True))
            else:
                self._executemany(dbapi_connection, zip(*converted, strict=True))
        except dbapi.Error as exc:
            statement = self._copy.text if self._copy is not None and use_copy else self.statement
            raise DBAPIError.instance(statement, None, exc, dbapi.Error, dialect=self._dialect) from exc

    def convert(self, columns: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        """``columns`` with every value passed through its column's bind processor."""
        converted = list(columns)
        for index, process in self._processors:
            converted[index] = apply_processor(process, columns[index])
        return converted

    def _executemany(self, dbapi_connection: Any, rows: Iterator[tuple[Any, ...]]) -> None:
        parameters: Iterable[Any] = rows
        if not self._dialect.positional:
            parameters = (dict(zip(self.columns, row, strict=True)) for row in rows)
        cursor = dbapi_connection.cursor()
        try:
            cursor.executemany(self.statement, parameters)
        finally:
            cursor.close()


def apply_processor(process: Processor, values: Sequence[Any]) -> list[Any]:
    """``[process(value) for value in values]``, calling ``process`` once per distinct value.

    Order lines repeat a handful of dates, prices and quantities thousands of times,
    and a processor call costs far more than a dictionary lookup. Bind processors
    are functions of the value, so equal values convert alike, provided they are of
    one type: ``Decimal(1) == 1 == True``, yet ``True`` must still be refused where
    ``Decimal(1)`` is accepted. Columns mixing types other than None, and unhashable
    values, are converted one by one.
    """
    if len(set(map(type, values)) - {type(None)}) > 1:
        return list(map(process, values))
    try:
        distinct = set(values)
    except TypeError:  # unhashable values (a signalling NaN, a JSON document)
        return list(map(process, values))
    converted = {value: process(value) for value in distinct}
    return list(map(converted.__getitem__, values))


def _processors(table: Table, columns: Sequence[str], dialect: Dialect) -> tuple[tuple[int, Processor], ...]:
    """(position, bind processor) of each column whose type converts values for ``dialect``.

    ``dialect_impl(dialect).bind_processor(dialect)`` is what SQLAlchemy itself
    caches and applies per value, TypeDecorators (``ExactDecimal``, ``UtcDateTime``)
    included.
    """
    found = []
    for index, name in enumerate(columns):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            found.append((index, process))
    return tuple(found)


def _copy_writer(table: Table, columns: Sequence[str], dialect: Dialect) -> CopyWriter | None:
    """A COPY-based writer on PostgreSQL through psycopg 3; None for every other driver."""
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return None
    from erp_core.pg_copy import CopyWriter  # psycopg is only installed where it is used

    return CopyWriter(table, columns)
