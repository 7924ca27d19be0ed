"""Bundle validation: every bad input is refused with the field named; nothing half-loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pos.errors import InvalidInput
from pos.promotions import PromotionError, bundle_json_schema, load_bundle

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "promotion.schema.json"
MAY = {"start": "2024-05-01T00:00:00+08:00", "end": "2024-06-01T00:00:00+08:00"}


def good(pid: str = "p1", **fields: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "name_en": "Ten off",
        "type": "percent_off",
        "items": {"skus": ["A"]},
        "percent_off": 10,
        **fields,
    }


def refused(*promotions: dict[str, Any]) -> str:
    with pytest.raises(PromotionError) as caught:
        load_bundle({"version": 3, "promotions": list(promotions)})
    return caught.value.message


@pytest.mark.parametrize(
    ("promotion", "message"),
    [
        (good(percent_off=100), "promotions[0].percent_off: must be between 1 and 99"),
        (good(percent_off=0), "promotions[0].percent_off: must be between 1 and 99"),
        (good(percent_off=12.5), "promotions[0].percent_off: must be a whole number"),
        (good(type="half_off"), "promotions[0]: unknown type 'half_off'"),
        ({**good(), "type": None}, "promotions[0]: "),
        (good(items={}), "promotions[0].items: empty set"),
        (good(items={"skus": []}), "promotions[0].items: empty set"),
        (
            {
                "id": "f",
                "name_en": "F",
                "type": "fixed_price",
                "items": {"skus": ["A"]},
                "price": -1,
            },
            "promotions[0].price: must not be negative",
        ),
        (
            {
                "id": "m",
                "name_en": "M",
                "type": "mix_and_match",
                "items": {"skus": ["A"]},
                "quantity": 3,
                "price": -5,
            },
            "promotions[0].price: must not be negative",
        ),
        (
            {
                "id": "b",
                "name_en": "B",
                "type": "buy_x_get_y",
                "items": {"skus": ["A"]},
                "buy_quantity": 1,
                "reward_percent_off": 101,
            },
            "promotions[0].reward_percent_off: must be between 1 and 100",
        ),
        (
            {
                "id": "s",
                "name_en": "S",
                "type": "spend_threshold",
                "tiers": [{"min_spend": 100, "amount_off": 100}],
            },
            "promotions[0].tiers[0].amount_off: must be less than min_spend (100 %+ off)",
        ),
        (
            {"id": "s", "name_en": "S", "type": "spend_threshold", "tiers": []},
            "promotions[0].tiers:",
        ),
        (
            {
                "id": "s",
                "name_en": "S",
                "type": "spend_threshold",
                "tiers": [
                    {"min_spend": 20000, "amount_off": 4000},
                    {"min_spend": 10000, "amount_off": 1500},
                ],
            },
            "promotions[0].tiers[1].min_spend: tiers must rise in min_spend",
        ),
        (
            {
                "id": "b",
                "name_en": "B",
                "type": "bundle",
                "components": [{"items": {"skus": ["A"]}}],
                "price": 100,
            },
            "promotions[0].components:",
        ),
        (
            good(windows=[{"start": MAY["end"], "end": MAY["start"]}]),
            "promotions[0].windows[0]: window ends (2024-05-01T00:00:00+08:00) before it starts",
        ),
        (
            good(windows=[{"start": "2024-05-01T00:00:00", "end": MAY["end"]}]),
            "promotions[0].windows[0].start: must be a date-time with a timezone offset",
        ),
        (
            good(windows=[MAY, {**MAY, "days": [1]}]),
            "promotions[0].windows: windows[0] and windows[1] overlap",
        ),
        (
            good(windows=[{**MAY, "from_time": "20:00", "to_time": "08:00"}]),
            "promotions[0].windows[0]: to_time must be after from_time",
        ),
        (
            good(windows=[{**MAY, "days": [8]}]),
            "promotions[0].windows[0].days[0]: must be between 1 and 7",
        ),
        (good(stacking="sometimes"), "promotions[0].stacking:"),
        (
            {
                "id": "f",
                "name_en": "F",
                "type": "fixed_price",
                "items": {"skus": ["A"]},
                "price": 1,
                "stacking": "stackable",
            },
            "promotions[0].stacking: only percent_off, amount_off and spend_threshold",
        ),
        (good(colour="red"), "promotions[0].colour: is not a known field"),
        (good(id="has space"), "promotions[0].id:"),
        (
            good(overrides=["p1"]),
            "promotions[0].overrides: circular exclusivity: p1 overrides itself",
        ),
        (good(coupon={"code": "x"}), "promotions[0].coupon.code:"),
    ],
)
def test_a_bad_promotion_is_refused_naming_the_field(
    promotion: dict[str, Any], message: str
) -> None:
    assert refused(promotion).startswith(message)


def test_windows_on_different_days_or_hours_do_not_overlap() -> None:
    bundle = load_bundle(
        {
            "version": 1,
            "promotions": [
                good(
                    windows=[
                        {**MAY, "days": [1, 2]},
                        {**MAY, "days": [3]},
                        {**MAY, "days": [4], "from_time": "08:00", "to_time": "10:00"},
                        {**MAY, "days": [4], "from_time": "10:00", "to_time": "12:00"},
                    ]
                )
            ],
        }
    )
    assert len(bundle.promotions[0].windows) == 4


def test_circular_exclusivity_is_refused() -> None:
    message = refused(
        good("a", overrides=["b"]), good("b", overrides=["c"]), good("c", overrides=["a"])
    )
    assert (
        message
        == "promotions[0].overrides: circular exclusivity: a overrides b overrides c overrides a"
    )


def test_overrides_must_name_a_promotion_of_the_bundle() -> None:
    assert (
        refused(good("a", overrides=["zz"])) == "promotions[0].overrides[0]: unknown promotion 'zz'"
    )


def test_ids_and_coupon_codes_are_unique() -> None:
    assert (
        refused(good("a"), good("a")) == "promotions[1].id: duplicate id 'a' (also promotions[0])"
    )
    message = refused(good("a", coupon={"code": "SAVE5"}), good("b", coupon={"code": "save5"}))
    assert message == "promotions[1].coupon.code: 'SAVE5' is already the code of 'a'"


def test_the_whole_bundle_is_refused_for_one_bad_promotion() -> None:
    message = refused(good("a"), good("b"), good("c", percent_off=150))
    assert message.startswith("promotions[2].percent_off:")


def test_bundle_level_errors() -> None:
    with pytest.raises(PromotionError, match="version"):
        load_bundle({"promotions": []})
    with pytest.raises(PromotionError, match="must be a JSON object"):
        load_bundle([])  # type: ignore[arg-type]
    with pytest.raises(PromotionError, match="resolution"):
        load_bundle({"version": 1, "resolution": "cheapest"})


def test_promotion_error_is_an_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        load_bundle({"version": 1, "promotions": [good(percent_off=100)]})


def test_a_valid_bundle_loads_and_names_default_to_english() -> None:
    bundle = load_bundle({"version": 7, "promotions": [good()]})
    assert bundle.version == 7
    assert bundle.promotions[0].display_name_zh == "Ten off"


def test_unknown_skus_are_reported_per_promotion() -> None:
    bundle = load_bundle(
        {
            "version": 1,
            "promotions": [
                good("a", items={"skus": ["A", "X1"]}),
                good("b", items={"categories": ["fruit"]}),
                {
                    "id": "c",
                    "name_en": "C",
                    "type": "bundle",
                    "components": [{"items": {"skus": ["A"]}}, {"items": {"skus": ["Z9", "B"]}}],
                    "price": 100,
                },
            ],
        }
    )
    assert bundle.unknown_skus(frozenset({"A", "B"})) == {"a": ["X1"], "c": ["Z9"]}
    assert bundle.unknown_skus(lambda sku: True) == {}


def test_the_committed_json_schema_is_the_generated_one() -> None:
    # regenerate: .venv/bin/python -c "import json; from pos.promotions import bundle_json_schema;
    #   print(json.dumps(bundle_json_schema(), indent=2, ensure_ascii=False))" > docs/promotion.schema.json
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == bundle_json_schema()


def test_the_schema_names_every_promotion_type() -> None:
    schema = bundle_json_schema()
    mapping = schema["properties"]["promotions"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == {
        "percent_off",
        "amount_off",
        "fixed_price",
        "buy_x_get_y",
        "cheapest_free",
        "mix_and_match",
        "bundle",
        "spend_threshold",
    }
