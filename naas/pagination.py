"""Keyset pagination: a page is found from the key of the row before it, never by OFFSET.

A list sorted on (key, id) asks for the rows after the last one shown:
`WHERE (key, id) > (:last_key, :last_id) ORDER BY key, id LIMIT n + 1` (the extra row only
says whether there is a next page). Reading page 1,000 costs what reading page 1 costs, with
an index on the key, and a row added meanwhile neither repeats nor skips a row. Links carry
the key, e.g. `?after=2026-12-01T09:30:00+00:00~8812`, so that a page can be bookmarked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")
SEPARATOR = "~"  # between the key and the id in a link; an id never contains it
PER_PAGE = 50


class BadPageKey(ValueError):
    """A page link whose key cannot be read: edited by hand or cut short."""


@dataclass(frozen=True)
class Keyset:
    """How a list is ordered: by `key`, then by `id` to break ties, both in one direction.

    `name` prefixes the link's parameters where a page shows more than one list."""

    key: ColumnElement[Any] | QueryableAttribute[Any]  # a column, or a model's attribute
    id: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = False
    per_page: int = PER_PAGE
    name: str = ""

    @property
    def after_param(self) -> str:
        return f"{self.name}_after" if self.name else "after"

    @property
    def before_param(self) -> str:
        return f"{self.name}_before" if self.name else "before"

    def encode(self, key: Any, id_: Any) -> str:
        value = key.isoformat() if isinstance(key, (date, datetime)) else str(key)
        return f"{value}{SEPARATOR}{id_}"

    def decode(self, token: str) -> tuple[Any, int]:
        value, sep, id_ = token.rpartition(SEPARATOR)
        if not sep:
            raise BadPageKey(token)
        try:
            return _parse(self.key, value), int(id_)
        except ValueError:
            raise BadPageKey(token) from None


def _parse(column: ColumnElement[Any] | QueryableAttribute[Any], value: str) -> Any:
    column_type = column.expression.type  # a model's attribute stands for its column
    type_ = getattr(column_type, "impl_instance", column_type)  # a TypeDecorator's own type
    kind = type_.python_type
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return kind(value)


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    keyset: Keyset
    next_key: str | None = None  # the key to put in the "Next page" link, if there is one
    prev_key: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)

    def link_args(self, direction: str) -> dict[str, str]:
        """The request's own parameters, with this list's key for the page `direction`."""
        args = {
            k: v
            for k, v in self.args.items()
            if k not in (self.keyset.after_param, self.keyset.before_param)
        }
        if direction == "next" and self.next_key:
            args[self.keyset.after_param] = self.next_key
        elif direction == "prev" and self.prev_key:
            args[self.keyset.before_param] = self.prev_key
        return args


def paginate(session: Session, query: Select, keyset: Keyset, args: Mapping[str, str]) -> Page:
    """One page of `query` after (or before) the key in `args`; raises BadPageKey for a key
    that cannot be read. Rows come as `query` selects them: an entity, or a tuple of columns."""
    after, before = args.get(keyset.after_param), args.get(keyset.before_param)
    backwards = before is not None and after is None
    token = before if backwards else after
    keyed = query.add_columns(keyset.key, keyset.id)
    forwards_is_up = not keyset.descending
    up = forwards_is_up != backwards  # is this page read in ascending order?
    if token:
        position = keyset.decode(token)
        pair = tuple_(keyset.key, keyset.id)
        keyed = keyed.where(pair > position if up else pair < position)
    order = (keyset.key.asc(), keyset.id.asc()) if up else (keyset.key.desc(), keyset.id.desc())
    fetched = list(session.execute(keyed.order_by(*order).limit(keyset.per_page + 1)))
    more = len(fetched) > keyset.per_page
    fetched = fetched[: keyset.per_page]
    if backwards:
        fetched.reverse()
    width = len(fetched[0]) - 2 if fetched else 0
    rows = [row[0] if width == 1 else tuple(row[:width]) for row in fetched]
    first = keyset.encode(*fetched[0][-2:]) if fetched else None
    last = keyset.encode(*fetched[-1][-2:]) if fetched else None
    # going forwards, a previous page exists whenever we came from a key; backwards, likewise
    has_next = more if not backwards else True
    has_prev = (token is not None) if not backwards else more
    return Page(
        rows,
        keyset,
        next_key=last if has_next and fetched else None,
        prev_key=first if has_prev and fetched else None,
        args=dict(args),
    )
