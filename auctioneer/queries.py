"""Hot single-row lookups whose SQL is compiled once per database, not once per request."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.db import connections, models, router, transaction
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # how ModelIterable fills select_related

M = TypeVar("M", bound=models.Model)

# Stand-ins for the looked-up value while the SQL is compiled: one of the filter's type,
# that no other parameter of the query would equal.
_PLACEHOLDERS: dict[type, Any] = {str: "\x00compiled-lookup-placeholder\x00", int: -7_919_113_377_291}
# The ORM finds nothing for an integer outside the 64-bit range a database column holds.
_INTEGER_RANGE = range(-(2**63), 2**63)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slot: int
    model: type[models.Model]
    converters: list[tuple[int, list[Any], Any]]
    init_list: list[str]
    model_slice: slice
    populators: list[Any]
    locks: bool


class CompiledLookup(Generic[M]):
    """`build(value)` — a queryset filtered on one value — evaluated as `.first()` would,
    with its SQL compiled once per database alias.

    Django compiles a queryset to SQL on every evaluation. For the two lookups every request
    makes (the bearer token with its user; the auction row a bid locks) that compilation was
    most of the lookup's CPU: ~1 ms of a 1.7 ms no-op request. The SQL is compiled here once,
    with a placeholder value in the filter, and then executed with the real value; the rows
    become model instances through the same compiler's converters and Django's related-object
    populators, so the result (types, `select_related` objects) is what `.first()` returns.
    Queries run through the connection's normal cursor: they are logged, counted by
    `django_assert_num_queries` and mapped to errors like any other query.

    `build` must return a plain model queryset filtered on one unique column that uses the
    looked-up value once (other, constant parameters stay as compiled); `key` is that
    column's type (`str` or `int`). As with
    the ORM, a value that cannot be such a key (not a number, out of range) finds nothing."""

    def __init__(self, build: Callable[[Any], "models.QuerySet[M]"], *, key: type[str] | type[int] = str) -> None:
        self._build = build
        self._key = key
        self._placeholder = _PLACEHOLDERS[key]
        self._compiled: dict[str, _Compiled] = {}
        self._routing: tuple[type[M], bool] | None = None

    def get(self, value: Any) -> M | None:
        try:
            value = self._key(value)
        except (TypeError, ValueError):
            return None
        if self._key is int and value not in _INTEGER_RANGE:
            return None
        if self._routing is None:
            queryset = self._build(self._placeholder)
            self._routing = (queryset.model, queryset._for_write)  # type: ignore[attr-defined]  # what QuerySet.db reads
        model, for_write = self._routing
        alias = router.db_for_write(model) if for_write else router.db_for_read(model)
        compiled = self._compiled.get(alias) or self._compile(alias)
        connection = connections[alias]
        if compiled.locks and connection.features.has_select_for_update and connection.get_autocommit():
            raise transaction.TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        params[compiled.slot] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for position, converters, expression in compiled.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, expression, connection)
            values[position] = value
        instance = compiled.model.from_db(alias, compiled.init_list, values[compiled.model_slice])
        for populator in compiled.populators:
            populator.populate(values, instance)
        return cast(M, instance)

    def _compile(self, alias: str) -> _Compiled:
        queryset = self._build(self._placeholder)[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [i for i, param in enumerate(params) if param == self._placeholder]
        if len(slots) != 1:
            raise ValueError(f"The looked-up value must appear exactly once in the SQL, not {len(slots)} times.")
        assert compiler.klass_info is not None  # a model queryset, not values()
        fields = compiler.klass_info["select_fields"]
        model_slice = slice(fields[0], fields[-1] + 1)
        compiled = _Compiled(
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            model=queryset.model,
            converters=[
                (position, converters, expression)
                for position, (converters, expression) in compiler.get_converters(
                    [column[0] for column in compiler.select[: compiler.col_count]]
                ).items()
            ],
            init_list=[column[0].target.attname for column in compiler.select[model_slice]],
            model_slice=model_slice,
            populators=get_related_populators(compiler.klass_info, compiler.select, alias),
            locks=queryset.query.select_for_update,
        )
        self._compiled[alias] = compiled
        return compiled
