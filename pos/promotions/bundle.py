"""A promotion bundle: the whole set HQ pushes, validated all or nothing.

Rules spanning promotions are checked here: ids are unique, coupon codes are unique, and
`overrides` (exclusivity by precedence: "when I qualify, those do not apply") names known
promotions and forms no cycle — in a cycle no promotion could be said to win.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from pos.errors import InvalidInput
from pos.promotions.model import PROMOTION_TYPES, Promotion, item_sets


class PromotionError(InvalidInput):
    """A promotion bundle (or one promotion in it) is invalid; the message names the field."""

    code = "invalid_promotion"


Resolution = Literal["best_for_customer", "priority"]


class PromotionBundle(BaseModel):
    """Every promotion of one version, as pushed by HQ."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[int, Strict(), Field(ge=1)]
    resolution: Resolution = Field(
        default="best_for_customer",
        description="how competing promotions are chosen: the combination best for the "
        "customer, or strictly by priority",
    )
    promotions: tuple[Promotion, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> PromotionBundle:
        first_index: dict[str, int] = {}
        codes: dict[str, str] = {}
        for i, promotion in enumerate(self.promotions):
            if promotion.id in first_index:
                raise ValueError(
                    f"promotions[{i}].id: duplicate id {promotion.id!r} "
                    f"(also promotions[{first_index[promotion.id]}])"
                )
            first_index[promotion.id] = i
            if promotion.coupon is not None:
                code = promotion.coupon.code.upper()
                if code in codes:
                    raise ValueError(
                        f"promotions[{i}].coupon.code: {code!r} is already the code of {codes[code]!r}"
                    )
                codes[code] = promotion.id
        for i, promotion in enumerate(self.promotions):
            for j, target in enumerate(promotion.overrides):
                if target not in first_index:
                    raise ValueError(
                        f"promotions[{i}].overrides[{j}]: unknown promotion {target!r}"
                    )
        cycle = _find_cycle({p.id: p.overrides for p in self.promotions})
        if cycle:
            where = first_index[cycle[0]]
            raise ValueError(
                f"promotions[{where}].overrides: circular exclusivity: {' overrides '.join(cycle)}"
            )
        return self

    def unknown_skus(self, known: Callable[[str], bool] | frozenset[str]) -> dict[str, list[str]]:
        """Promotions naming SKUs the catalog does not know, with those SKUs (sorted)."""
        is_known = known.__contains__ if isinstance(known, frozenset) else known
        report: dict[str, list[str]] = {}
        for promotion in self.promotions:
            named = {sku for item_set in item_sets(promotion) for sku in item_set.skus}
            missing = sorted(sku for sku in named if not is_known(sku))
            if missing:
                report[promotion.id] = missing
        return report


def _find_cycle(edges: Mapping[str, tuple[str, ...]]) -> list[str]:
    """One cycle of the overrides graph as [a, b, ..., a], or [] (iterative DFS, sorted order)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in sorted(edges):
        if state.get(root):
            continue
        path = [root]
        stack = [iter(sorted(edges.get(root, ())))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges.get(nxt, ()))))
    return []


_NAMED_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\[\]]*: ")
_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "int_type": "must be a whole number (money is int minor units, fen)",
    "int_parsing": "must be a whole number (money is int minor units, fen)",
    "timezone_aware": "must be a date-time with a timezone offset",
}


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for i, key in enumerate(loc):
        if isinstance(key, int):
            parts.append(f"[{key}]")
            continue
        # a discriminated union puts the type tag in the path: promotions.3.percent_off.x
        previous = loc[i - 1] if i else None
        if (
            isinstance(previous, int)
            and key in PROMOTION_TYPES
            and i >= 2
            and loc[i - 2] == "promotions"
        ):
            continue
        if key.startswith("function-after["):
            continue
        parts.append(f".{key}" if parts else key)
    return "".join(parts)


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "union_tag_invalid":
        tag = (error.get("ctx") or {}).get("tag", "")
        return f"unknown type {tag!r} (known: {', '.join(PROMOTION_TYPES)})"
    if kind == "union_tag_not_found":
        return f"type is required (one of: {', '.join(PROMOTION_TYPES)})"
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    text = str(error.get("msg", "is invalid"))
    return text.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def describe(err: ValidationError) -> str:
    """The first error of a pydantic validation as 'field.path: what is wrong'."""
    first = err.errors(include_url=False)[0]
    path = _field_path(tuple(first["loc"]))
    message = _message(first)
    if not path:
        return message
    if _NAMED_FIELD.match(message):
        # a model check already names its own field: "windows: windows[0] and ..."
        head, rest = message.split(":", 1)
        return f"{path}.{head}:{rest}"
    return f"{path}: {message}"


def bundle_json_schema() -> dict[str, Any]:
    """The JSON schema of a promotion bundle (docs/promotion.schema.json is this, committed)."""
    schema = PromotionBundle.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "storenode promotion bundle"
    return schema


def load_bundle(data: Mapping[str, Any]) -> PromotionBundle:
    """Validate a bundle {"version", "promotions": [...]}; PromotionError names the bad field."""
    if not isinstance(data, Mapping):
        raise PromotionError("a promotion bundle must be a JSON object")
    try:
        return PromotionBundle.model_validate(dict(data))
    except ValidationError as err:
        more = err.error_count() - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more > 0 else ""
        raise PromotionError(describe(err) + suffix) from None
