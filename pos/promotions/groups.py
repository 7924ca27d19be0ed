"""How a group promotion (buy X get Y, cheapest free, mix and match, bundle) uses units.

Each evaluator gets the units it may use, most expensive first, and returns its
applications. Grouping the most expensive units together is what makes a group
promotion worth most to the customer: for "buy 2 get 1 free" on prices 9, 8, 7, 6, 5, 4
the groups are (9, 8, 7) and (6, 5, 4), so 7 and 4 are free — no other grouping frees more.
A floor can make another grouping save more; the split search (`search`) recovers some of
that by giving a promotion fewer units, and the evaluators skip a group or reward unit a
floor leaves nothing to save (a bundle swaps in a unit that may lose) instead of stopping
there (docs/promotions.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pos.money import allocate_proportionally, div_round_half_up
from pos.promotions.model import BundlePrice, BuyXGetY, CheapestFree, MixAndMatch
from pos.promotions.rules import Rule

# (unit amount, item index, headroom of the unit, part mask): one piece of a basket line
Unit = tuple[int, int, int, int]


@dataclass(slots=True)
class Application:
    """One use of a group promotion: the units it took and the discount on each line."""

    saving: int = 0
    takes: dict[int, int] = field(default_factory=dict)  # item index -> units used
    parts: dict[int, int] = field(default_factory=dict)  # item index -> discount

    def take(self, unit: Unit, discount: int) -> None:
        index = unit[1]
        self.takes[index] = self.takes.get(index, 0) + 1
        if discount:
            self.parts[index] = self.parts.get(index, 0) + discount
            self.saving += discount


def sort_units(units: list[Unit]) -> list[Unit]:
    """Most expensive first; equal units in canonical line order."""
    return sorted(units, key=lambda u: (-u[0], u[1]))


def _reward(unit: Unit, percent: int) -> int:
    return min(div_round_half_up(unit[0] * percent, 100), unit[2])


def _group_price(units: list[Unit], price: int, total: int) -> Application | None:
    """Sell `units` (costing `total`) together for `price`; the saving spread by headroom."""
    headroom = [u[2] for u in units]
    saving = min(total - price, sum(headroom))
    if saving <= 0:
        return None
    app = Application()
    for unit, part in zip(units, allocate_proportionally(saving, headroom), strict=True):
        app.take(unit, part)
    return app


def _chunks_reward(
    units: list[Unit], size: int, rewarded: int, percent: int, limit: int
) -> list[Application]:
    apps: list[Application] = []
    for start in range(0, len(units) - size + 1, size):
        if len(apps) >= limit:
            break
        group = units[start : start + size]
        app = Application()
        for position, unit in enumerate(group):
            app.take(unit, _reward(unit, percent) if position >= size - rewarded else 0)
        if app.saving > 0:
            apps.append(app)
    return apps


def _buy_get(units: list[Unit], buy: int, get: int, percent: int, limit: int) -> list[Application]:
    """Buy from part 0, get from part 1: reward the dearest get units, pay with the others."""
    free = list(units)
    apps: list[Application] = []
    # units whose reward is nothing (a floor leaves them no headroom): equal units are equal
    # tuples, so the set names every one of them; cheaper units after them may still save
    barren: set[Unit] = set()
    while len(apps) < limit:
        rewards = [i for i, u in enumerate(free) if u[3] & 2 and u not in barren][:get]
        # pay with units nothing else wants: not rewardable first, then the cheapest
        payers = sorted(
            (i for i, u in enumerate(free) if u[3] & 1 and i not in rewards),
            key=lambda i: (free[i][3] & 2 > 0 and free[i] not in barren, free[i][0], free[i][1]),
        )[:buy]
        if len(rewards) < get or len(payers) < buy:
            break
        app = Application()
        for i in payers:
            app.take(free[i], 0)
        for i in rewards:
            app.take(free[i], _reward(free[i], percent))
        if app.saving <= 0:
            # without floors the cheaper units after these are worth nothing either
            if not any(free[i][2] < free[i][0] for i in rewards):
                break
            barren.update(free[i] for i in rewards)
            continue
        apps.append(app)
        used = {*payers, *rewards}
        free = [u for i, u in enumerate(free) if i not in used]
    return apps


def _bundle(units: list[Unit], promotion: BundlePrice, limit: int) -> list[Application]:
    """Each component's dearest units together, while a group of them saves something.

    A group a floor leaves nothing to lose (every unit at its floor) is still dear: each
    floored unit makes a group with units that may lose something, so one component's
    cheapest unit in it gives way to that component's dearest unit with headroom — the swap
    saving most, the first component on a tie — instead of the bundle stopping there.
    """
    free = list(units)
    apps: list[Application] = []
    while len(apps) < limit:
        chosen: list[list[int]] = []
        taken: set[int] = set()
        for bit, component in enumerate(promotion.components):
            pool = [i for i, u in enumerate(free) if u[3] >> bit & 1 and i not in taken]
            if len(pool) < component.quantity:
                return apps
            chosen.append(pool[: component.quantity])
            taken.update(chosen[-1])
        total = sum(free[i][0] for i in taken)
        if total <= promotion.price:
            return apps  # every group after is cheaper still: none of them saves
        group = [free[i] for part in chosen for i in part]
        app = _group_price(group, promotion.price, total)
        if app is None:  # total > price: floors leave every unit of the group nothing to lose
            swapped = _swap_in_headroom(free, chosen, taken, promotion.price, total)
            if swapped is None:
                return apps  # no unit that may lose is left, or a group with one saves nothing
            taken = set(swapped)
            group = [free[i] for i in swapped]
            app = _group_price(group, promotion.price, sum(u[0] for u in group))
            assert app is not None  # its saving is positive: `_swap_in_headroom` checked
        apps.append(app)
        free = [u for i, u in enumerate(free) if i not in taken]
    return apps


def _swap_in_headroom(
    free: list[Unit], chosen: list[list[int]], taken: set[int], price: int, total: int
) -> list[int] | None:
    """The floored group `chosen` with one component's cheapest unit replaced by its dearest
    unit that may still lose something, saving most (None when no swap saves)."""
    best: list[int] | None = None
    best_saving = 0
    for bit, part in enumerate(chosen):
        spare = next(
            (i for i, u in enumerate(free) if u[3] >> bit & 1 and u[2] > 0 and i not in taken),
            None,
        )
        if spare is None:
            continue
        # the other units have no headroom: the spare one's is all the group may lose
        saving = min(total - free[part[-1]][0] + free[spare][0] - price, free[spare][2])
        if saving > best_saving:
            best_saving = saving
            best = [i for p in chosen for i in (p if p is not part else [*p[:-1], spare])]
    return best


def applications(rule: Rule, units: list[Unit]) -> list[Application]:
    """The applications of a group rule on `units` (sorted by `sort_units`)."""
    promotion = rule.promotion
    limit = getattr(promotion, "max_applications", None) or len(units) + 1
    if isinstance(promotion, CheapestFree):
        return _chunks_reward(units, promotion.quantity, 1, 100, limit)
    if isinstance(promotion, BuyXGetY):
        if promotion.get_items is None:
            size = promotion.buy_quantity + promotion.get_quantity
            return _chunks_reward(
                units, size, promotion.get_quantity, promotion.reward_percent_off, limit
            )
        return _buy_get(
            units,
            promotion.buy_quantity,
            promotion.get_quantity,
            promotion.reward_percent_off,
            limit,
        )
    if isinstance(promotion, MixAndMatch):
        apps: list[Application] = []
        size = promotion.quantity
        for start in range(0, len(units) - size + 1, size):
            group = units[start : start + size]
            total = sum(u[0] for u in group)
            if len(apps) >= limit or total <= promotion.price:
                break  # the chunks after are cheaper still: none of them saves
            app = _group_price(group, promotion.price, total)
            # None here: floors leave the chunk no headroom; a cheaper chunk may still save
            if app is not None:
                apps.append(app)
        return apps
    if isinstance(promotion, BundlePrice):
        return _bundle(units, promotion, limit)
    return []
