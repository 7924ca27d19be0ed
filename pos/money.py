"""Money is an int of minor units (fen, cents). Every rounding rule is named here.

Division of money always goes through one of these functions so the rule is visible
at the call site: `div_round_half_up`, `div_round_half_even`, `div_floor`.
"""

from __future__ import annotations

from collections.abc import Sequence

BASIS_POINTS = 10_000  # 100 % expressed in basis points (rates are ints: 1300 = 13 %)


def div_round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest int, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def div_round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest int, halves to even (banker's rounding)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    twice = remainder * 2
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def div_floor(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded down."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return numerator // denominator


def round_to_step_half_up(amount: int, step: int) -> int:
    """Round an amount to a multiple of `step` minor units (cash rounding to 0.05 / 0.10)."""
    if step <= 1:
        return amount
    return div_round_half_up(amount, step) * step


def allocate_proportionally(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` so the parts sum exactly to `total` (largest remainder).

    Ties in the remainders go to the earliest weight, so the split is deterministic.
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero amount over nothing")
        return []
    weight_sum = sum(weights)
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if weight_sum == 0:
        parts = [0] * len(weights)
        parts[0] = total
        return parts
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    floors = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    left = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * part for part in floors]


def format_minor(amount: int, exponent: int = 2) -> str:
    """Render minor units as a plain decimal string: 1234 -> '12.34', -5 -> '-0.05'."""
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if exponent == 0:
        return f"{sign}{magnitude}"
    units, minor = divmod(magnitude, 10**exponent)
    return f"{sign}{units}.{minor:0{exponent}d}"
