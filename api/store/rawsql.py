"""Hot statements run straight on the driver's cursor, compiled once by SQLAlchemy.

A turn runs about nine short statements. Through ``Connection.execute`` each of them spends more
time in SQLAlchemy's execution machinery (execution context, parameter processing, result
metadata) than in SQLite itself; for the statements of the webhook's hot path :class:`Prepared`
keeps what SQLAlchemy would do and drops the rest:

- the statement is compiled once per dialect and parameter key set (SQLAlchemy's own compiler, so
  the SQL is exactly what ``Connection.execute`` would send);
- each value goes through the bind processor of its column type (``DateTime`` to text on SQLite,
  ``JSON`` through the engine's serializer, psycopg's ``Json`` wrapper on PostgreSQL), literal values
  of the statement are filled in, a missing required value raises :class:`KeyError`;
- result columns go through their result processors (``JSON`` text back to objects on SQLite).

It runs on the DBAPI connection of the unit's SQLAlchemy connection, inside the same transaction.
A statement this cannot reproduce exactly (Python-side column defaults, expanding ``IN``
parameters, post-compile parameters, escaped bind names) raises :class:`NotPreparable` when it is
built; :class:`api.store.Unit` then keeps it on ``Connection.execute``. Statements run this way do
not pass through SQLAlchemy's ``before/after_cursor_execute`` events or its echo log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.sql import Executable

__all__ = ["NotPreparable", "Prepared", "RawResult"]

_MISSING: Any = object()


class NotPreparable(Exception):
    """The statement needs SQLAlchemy's full execution path."""


class RawResult:
    """The rows of one raw execution, with the part of SQLAlchemy's ``Result`` the store uses."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def one(self) -> tuple[Any, ...]:
        """The only row (raises like SQLAlchemy when there are none or several)."""
        if not self.rows:
            raise NoResultFound("No row was found when one was required")
        if len(self.rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self.rows[0]

    def scalar_one(self) -> Any:
        """The first column of the only row."""
        return self.one()[0]

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self.rows[0][0] if self.rows else None

    def scalars(self) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in self.rows]


#: One bound value: (name in the SQL, key in the caller's parameters, literal value, processor).
_Bind = tuple[str, str, Any, Callable[[Any], Any] | None]


class Prepared:
    """One statement compiled for one dialect and one set of parameter keys."""

    __slots__ = ("_binds", "_named", "_results", "sql")

    def __init__(self, stmt: Executable, dialect: Dialect, keys: Sequence[str]) -> None:
        """Compile ``stmt``; raises :class:`NotPreparable` when it needs SQLAlchemy at run time."""
        statement: Any = stmt  # every Executable the store builds is a ClauseElement
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise NotPreparable("Python-side column defaults")
        if compiled.escaped_bind_names or compiled.literal_execute_params or compiled.post_compile_params:
            raise NotPreparable("escaped names or post-compile parameters")
        by_name = compiled.binds
        order: Sequence[str] = compiled.positiontup if compiled.positional else list(by_name)
        binds: list[_Bind] = []
        for name in order:
            bind = by_name[name]
            if bind.expanding or bind.callable is not None or bind.isoutparam:
                raise NotPreparable(f"parameter {name!r} needs SQLAlchemy")
            literal = _MISSING if bind.required else bind.value
            processor = bind.type._cached_bind_processor(dialect)
            binds.append((name, bind.key, literal, processor))
        self.sql: str = compiled.string
        self._binds = tuple(binds)
        self._named = not compiled.positional
        self._results: tuple[Callable[[Any], Any] | None, ...] = tuple(
            column.type._cached_result_processor(dialect, None)
            for column in getattr(stmt, "exported_columns", ())
        )

    def _values(self, params: Mapping[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        values: list[Any] = []
        for name, key, literal, processor in self._binds:
            value = params.get(key, _MISSING)
            if value is _MISSING:
                value = params.get(name, literal)
                if value is _MISSING:
                    raise KeyError(f"a value is required for bind parameter {key!r}")
            values.append(processor(value) if processor is not None else value)
        if self._named:
            return {bind[0]: value for bind, value in zip(self._binds, values, strict=True)}
        return tuple(values)

    def run(self, dbapi_connection: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> RawResult:
        """Execute with one parameter mapping, or a list of them (``executemany``, no rows back)."""
        cursor = dbapi_connection.cursor()
        try:
            if isinstance(params, Mapping):
                cursor.execute(self.sql, self._values(params))
                rows = cursor.fetchall() if cursor.description is not None else []
                if rows and any(self._results):
                    procs = self._results
                    rows = [
                        tuple(p(v) if p is not None else v for p, v in zip(procs, row, strict=True))
                        for row in rows
                    ]
                return RawResult(rows, cursor.rowcount)
            cursor.executemany(self.sql, [self._values(p) for p in params])
            return RawResult([], cursor.rowcount)
        finally:
            cursor.close()
