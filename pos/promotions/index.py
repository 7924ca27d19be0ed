"""Which promotions can touch a line: looked up by SKU, category and brand, kept per line kind.

A line's candidates depend only on (sku, category, brand, weighed), so they are computed
once per such key and kept as plain tuples of ints, which the cyclic collector untracks (it
keeps walking named tuples and objects): a cache of 20,000 lines costs no collection time.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from pos.promotions.basket import BasketLine
from pos.promotions.rules import Rule

CACHE_SIZE = 100_000

LineKey = tuple[str, str, str, bool]  # sku, category, brand, weighed
Entries = tuple[tuple[int, int], ...]  # (rule index, bits of the parts naming the key)


# A line's candidate rules, whatever the moment or basket: per-unit rules in priority order;
# group rules with their part mask and thresholds with 0; whether every one is minute-aligned
# (then the line's liveness holds for the minute). Plain tuples: see the module docstring.
LineFacts = tuple[tuple[int, ...], tuple[tuple[int, int], ...], bool]


def line_key(line: BasketLine) -> LineKey:
    return (line.sku, line.category, line.brand, line.weighed)


class CandidateIndex:
    """Rules by the SKUs, categories and brands their sets name (basket-wide rules apart)."""

    def __init__(self, rules: Sequence[Rule], inert: Set[str], position: Sequence[int]) -> None:
        self.rules = rules
        self.position = position
        found: dict[str, dict[str, dict[int, int]]] = {"sku": {}, "category": {}, "brand": {}}
        everywhere: dict[int, int] = {}
        for rule in rules:
            if rule.id in inert:
                continue
            for bit, part in enumerate(rule.parts):
                if part.everything:
                    everywhere[rule.index] = everywhere.get(rule.index, 0) | 1 << bit
                for kind, keys in (
                    ("sku", part.skus),
                    ("category", part.categories),
                    ("brand", part.brands),
                ):
                    for key in keys:
                        masks = found[kind].setdefault(key, {})
                        masks[rule.index] = masks.get(rule.index, 0) | 1 << bit
        self._by_key = {
            kind: {key: tuple(masks.items()) for key, masks in by_key.items()}
            for kind, by_key in found.items()
        }
        self._everywhere = tuple(everywhere.items())
        # the index is exact but for excluded SKUs: these rules are checked part by part
        self._excluding = frozenset(
            rule.index for rule in rules if any(part.exclude for part in rule.parts)
        )
        self._lines: dict[LineKey, LineFacts] = {}

    def candidates(self, line: BasketLine) -> dict[int, int]:
        """Rule index -> part mask (bit i: part i accepts the line), for every rule that does."""
        masks = dict(self._everywhere)
        for kind, key in (("sku", line.sku), ("category", line.category), ("brand", line.brand)):
            for index, bits in self._by_key[kind].get(key, ()) if key else ():
                masks[index] = masks.get(index, 0) | bits
        for index in self._excluding.intersection(masks):
            masks[index] = self.rules[index].part_mask(line)
        return {index: bits for index, bits in masks.items() if bits}

    def facts(self, key: LineKey, line: BasketLine) -> LineFacts:
        """A line's candidates by kind (cached by `key`, which must be `line_key(line)`)."""
        facts = self._lines.get(key)
        if facts is None:
            units: list[int] = []
            others: list[tuple[int, int]] = []
            for index, mask in sorted(self.candidates(line).items()):
                kind = self.rules[index].kind
                if kind == "unit":
                    units.append(index)
                elif kind == "threshold":
                    others.append((index, 0))
                elif not line.weighed:
                    others.append((index, mask))
            units.sort(key=self.position.__getitem__)
            aligned = all(self.rules[i].minute_aligned for i in (*units, *(o[0] for o in others)))
            facts = (tuple(units), tuple(others), aligned)
            if len(self._lines) >= CACHE_SIZE:
                self._lines.clear()
            self._lines[key] = facts
        return facts
