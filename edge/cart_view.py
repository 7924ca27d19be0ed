"""The cart as a lane shows it, and as it is saved: one rendering per version of a cart.

A scan on a 150-line cart used to build and render the same ~100 KB of JSON up to three
times: for the saved cart, for the HTTP answer and for the lane's event stream. `sale_json`
renders a cart's version once and hands the same bytes to all three (the saved cart is
this view: `Sale.from_dict` reads it back).

The saved cart is that JSON deflated (zlib level 1: a 150-line cart's 109 KB become 15 KB
for about 0.3 ms). A cart is saved on every scan: uncompressed, a busy lane wrote a
megabyte of WAL every ten scans, the WAL reached SQLite's checkpoint size every forty or
fifty, and the scan that crossed it waited 50 to 100 ms while 4 MB were copied into the
ledger and synced; deflated, that scan comes seven times less often, and the store box's
flash wears seven times slower. Carts saved as JSON text before this still read.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from edge import fastjson
from pos.canonical import plain
from pos.sale import Sale, SaleState

# Open and suspended carts kept rendered, one version each: more than a store's lanes (the
# cart rendered longest ago goes first); a completed or cancelled cart is rendered without
# being kept (and leaves). A cart's lines and line discounts are immutable and, from one scan
# to the next, mostly the same objects: each is rendered once and its bytes go as they are
# into the cart's next view; a part the cart no longer has is let go with that view.
_RENDERED_MAX = 256
_KEPT_STATES = frozenset({SaleState.OPEN, SaleState.SUSPENDED})
_Parts = dict[int, tuple[object, orjson.Fragment]]  # id(part): (the part, its JSON)


@dataclass(frozen=True, slots=True)
class _Kept:
    sale: Sale
    version: int
    rendered: fastjson.Rendered
    parts: _Parts


_rendered: dict[str, _Kept] = {}
_keeping = threading.Lock()


def sale_view(sale: Sale) -> dict[str, Any]:
    """The cart as a lane shows it. Lines, totals and discounts stay the rules' immutable
    dataclasses: render with edge.fastjson (the API and the event stream do)."""
    totals, settlement = sale.totals(), sale.settlement()
    data = sale.snapshot(discounts=False)
    data["lane"] = int(sale.lane_id)
    data["totals"] = totals
    data["settlement"] = {**plain(settlement), "settled": settlement.settled}
    data["discounts"] = {str(k): v for k, v in sorted(sale.discounts.items())}
    return data


def saved_cart(sale: Sale) -> bytes:
    """The cart as the ledger keeps it (open_sale.body): its view, deflated."""
    return zlib.compress(sale_json(sale).json, 1)


def cart_from_saved(body: str | bytes) -> Sale:
    """A cart the ledger kept: deflated JSON, or (saved before deflating) JSON text."""
    if isinstance(body, bytes) and body[:1] != b"{":
        body = zlib.decompress(body)
    return Sale.from_dict(fastjson.loads(body))


def sale_json(sale: Sale, *, keep: bool = True) -> fastjson.Rendered:
    """`sale_view(sale)` rendered, once per version of this very object (every change bumps the
    version; a different object with the same version, as after a command that failed, is
    rendered afresh, from the parts it shares with the cart's last view). A cart only read
    (`keep=False`: parsed from the ledger for a look) leaves the kept view as it is: the
    next scan's cart shares its lines with that one, not with the copy read."""
    kept = _rendered.get(sale.sale_id)
    if kept is not None and kept.sale is sale and kept.version == sale.version:
        return kept.rendered
    before: _Parts = {} if kept is None else kept.parts
    parts: _Parts = {}

    def part(value: object) -> orjson.Fragment:
        found = before.get(id(value))
        if found is None or found[0] is not value:
            found = (value, orjson.Fragment(bytes(memoryview(fastjson.dumps(value)))))  # a copy: orjson's buffer holds ~8 KB
        parts[id(value)] = found
        return found[1]

    view = sale_view(sale)
    view["lines"] = [part(line) for line in view["lines"]]
    view["discounts"] = {line_id: part(discount) for line_id, discount in view["discounts"].items()}
    rendered = fastjson.Rendered(fastjson.dumps(view))
    if not keep:
        return rendered
    with _keeping:
        _rendered.pop(sale.sale_id, None)
        if sale.state in _KEPT_STATES:
            if len(_rendered) >= _RENDERED_MAX:
                del _rendered[next(iter(_rendered))]
            _rendered[sale.sale_id] = _Kept(sale, sale.version, rendered, parts)
    return rendered
