"""A bounded map of remembered values that forgets its least recently used one at a time.

The rules remember immutable values by key or by identity (a line's discount, a line's tax)
so that a scan finds most of the last scan's answers made. Bounded by starting over when
full, a table of 20,000 entries freed its values all at once, inside whichever scan filled
it: 25 ms of deallocation on one scan of a 100-line cart. This forgets one entry per entry
it learns instead, the least recently used. Each operation is one or two calls on a C
`OrderedDict`: safe with lanes pricing in threads (a race forgets one entry too many).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` values by key; `get` refreshes, `put` forgets the stalest past the size."""

    __slots__ = ("_table", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self.size = size
        self._table: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._table.get(key)
        if found is not None:
            try:  # noqa: SIM105 -- on every hit: a try costs nothing, a context manager does
                self._table.move_to_end(key)
            except KeyError:  # forgotten meanwhile by another thread: it is still the answer
                pass
        return found

    def put(self, key: K, value: V) -> V:
        table = self._table
        table[key] = value
        try:
            table.move_to_end(key)  # a key put again is as fresh as a new one
            if len(table) > self.size:
                table.popitem(last=False)
        except KeyError:  # another thread's put forgot this one (or the stalest) meanwhile
            pass
        return value

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, key: object) -> bool:
        return key in self._table
