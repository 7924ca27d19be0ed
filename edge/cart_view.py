"""The cart as a lane shows it, and as it is saved: one rendering per version of a cart.

A scan on a 150-line cart used to build and render the same ~100 KB of JSON up to three
times: for the saved cart, for the HTTP answer and for the lane's event stream. `sale_json`
renders a cart's version once and hands the same bytes to all three (the saved cart is
this view: `Sale.from_dict` reads it back).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson

from edge import fastjson
from pos.sale import Sale

_RENDERED_MAX = 1024  # carts kept rendered, one version each (far more than a store's lanes)
_rendered: dict[str, tuple[Sale, int, fastjson.Rendered]] = {}
# A cart's lines and line discounts are immutable and, from one scan to the next, mostly the
# same objects: each is rendered once and written as it is into every later view. Bounded:
# 20,000 parts (a few MB) hold 50 lanes' carts of 200 lines with their discounts.
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
    if len(_rendered) >= _RENDERED_MAX:
        _rendered.clear()
    _rendered[sale.sale_id] = (sale, sale.version, rendered)
    return rendered


def _part(value: object) -> orjson.Fragment:
    """An immutable part of a cart, rendered (once while this very object lives)."""
    kept = _parts.get(id(value))
    if kept is not None and kept[0] is value:
        return kept[1]
    part = orjson.Fragment(fastjson.dumps(value))
    if len(_parts) >= _PARTS_MAX:
        _parts.clear()
    _parts[id(value)] = (value, part)
    return part
