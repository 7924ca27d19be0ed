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

import zlib
from dataclasses import asdict
from typing import Any

import orjson

from edge import fastjson
from pos.sale import Sale, SaleState

# Open and suspended carts kept rendered, one version each: more than a store's lanes; a
# completed or cancelled cart is rendered without being kept (and leaves). At most about
# 128 x 100 KB for carts of 150 lines.
_RENDERED_MAX = 128
_rendered: dict[str, tuple[Sale, int, fastjson.Rendered]] = {}
_KEPT_STATES = frozenset({SaleState.OPEN, SaleState.SUSPENDED})
# A cart's lines and line discounts are immutable and, from one scan to the next, mostly the
# same objects: each is rendered once and written as it is into every later view. Bounded:
# 20,000 parts (~10 MB with the objects they keep alive) hold 50 lanes' carts of 200 lines.
_PARTS_MAX = 20_000
_parts: dict[int, tuple[object, orjson.Fragment]] = {}


def sale_view(sale: Sale) -> dict[str, Any]:
    """The cart as a lane shows it. Lines, totals and discounts stay the rules' immutable
    dataclasses: render with edge.fastjson (the API and the event stream do)."""
    totals, settlement = sale.totals(), sale.settlement()
    data = sale.snapshot(discounts=False)
    data["lane"] = int(sale.lane_id)
    data["totals"] = totals
    data["settlement"] = {**asdict(settlement), "settled": settlement.settled}
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


def sale_json(sale: Sale) -> fastjson.Rendered:
    """`sale_view(sale)` rendered, once per version of this very object (every change bumps the
    version; a different object with the same version, as after a command that failed, is
    rendered afresh)."""
    kept = _rendered.get(sale.sale_id)
    if kept is not None and kept[0] is sale and kept[1] == sale.version:
        return kept[2]
    view = sale_view(sale)
    view["lines"] = [_part(line) for line in view["lines"]]
    view["discounts"] = {line_id: _part(discount) for line_id, discount in view["discounts"].items()}
    rendered = fastjson.Rendered(fastjson.dumps(view))
    if sale.state not in _KEPT_STATES:
        _rendered.pop(sale.sale_id, None)
        return rendered
    if len(_rendered) >= _RENDERED_MAX:
        _rendered.clear()
    _rendered[sale.sale_id] = (sale, sale.version, rendered)
    return rendered


def _part(value: object) -> orjson.Fragment:
    """An immutable part of a cart, rendered (once while this very object lives)."""
    kept = _parts.get(id(value))
    if kept is not None and kept[0] is value:
        return kept[1]
    part = orjson.Fragment(bytes(memoryview(fastjson.dumps(value))))  # a copy: orjson's own buffer holds ~8 KB
    if len(_parts) >= _PARTS_MAX:
        _parts.clear()
    _parts[id(value)] = (value, part)
    return part
