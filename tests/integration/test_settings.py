from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edge.settings import ConfigError, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "firmware-config" / "store.example.toml"


def test_the_commented_example_config_is_valid(tmp_path: Path) -> None:
    copy = tmp_path / "store.toml"
    shutil.copy(EXAMPLE, copy)
    settings = load_settings(copy)
    assert settings.store.id == "SH0001" and settings.ledger_path == tmp_path / "store.db"
    assert [t.code for t in settings.tax_classes] == ["VAT13", "VAT9", "VAT0"]


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "store.toml"
    shutil.copy(EXAMPLE, copy)
    monkeypatch.setenv("STORENODE_API__PORT", "9001")
    monkeypatch.setenv("STORENODE_STORE__LANGUAGE", "en")
    settings = load_settings(copy)
    assert (settings.api.port, settings.store.language, settings.store.id) == (9001, "en", "SH0001")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[store]\nid = "A"\ntimezone = "Mars/Olympus"\n', "store.timezone: unknown time zone 'Mars/Olympus'"),
        ("[ledger]\npath = 'x.db'\n", "store: Field required"),
        ('[store]\nid = "A"\n[[tax_classes]]\ncode="V"\nrate_bp=100\nname_en="a"\nname_zh="b"\n[[tax_classes]]\ncode="V"\nrate_bp=200\nname_en="a"\nname_zh="b"\n', "defined twice: V"),
        ('[store]\nid = "A"\n[pricing]\ncash_rounding_step = 0\n', "pricing.cash_rounding_step"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "store.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert expected in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")
