"""Splitting key lists for ``IN (...)`` queries, the one size every service uses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar


class _Sortable(Protocol):
    def __lt__(self, other: object, /) -> bool: ...


_K = TypeVar("_K", bound=_Sortable)

IN_CHUNK = 1000
"""Values per ``IN (...)`` list: far below SQLite's and PostgreSQL's bind-parameter limits."""


def in_chunks(values: Iterable[_K]) -> Iterator[list[_K]]:
    """The distinct ``values`` in sorted order, ``IN_CHUNK`` at a time.

    Sorted so that the statements a batch issues (and the rows they lock) come in a
    stable order whatever order the caller collected its keys in.
    """
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]
