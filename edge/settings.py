"""The store's settings: one TOML file plus STORENODE_* environment overrides, validated at start.

Environment variables override the file; nested keys use a double underscore:
`STORENODE_API__PORT=9000` overrides `[api] port`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from edge.lane_config import DevicesSection, LaneConfig
from sync.config import SyncSection

ENV_PREFIX = "STORENODE_"
ENV_NESTED = "__"


class ConfigError(Exception):
    """A store config that cannot be used; the message names the file, the key and the reason."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSection(_Section):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    tenant: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name_en: str = "storenode store"
    name_zh: str = "门店"
    address: str = ""
    tax_id: str = ""
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    currency_exponent: int = Field(default=2, ge=0, le=3)
    timezone: str = "Asia/Shanghai"
    language: Literal["zh-CN", "en"] = "zh-CN"
    groups: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)") from None
        return value


class PricingSection(_Section):
    prices_include_tax: bool = True
    tax_rounding: Literal["per_line", "per_total"] = "per_line"
    cash_rounding_step: int = Field(default=1, ge=1, le=100)
    # Layout of price/weight-embedded EAN-13 barcodes (GS1 prefixes 02, 20-29):
    # P prefix, I item code, V value (price in minor units or weight in grams), C check digit.
    embedded_barcode_layout: str = "PPIIIIIVVVVVC"
    embedded_barcode_value: Literal["price", "weight"] = "price"


class ReturnsSection(_Section):
    # Without a receipt (always with a manager): refund at the current price or at the
    # lowest price the item had in the last `no_receipt_days` days; paid as cash or store credit.
    no_receipt_basis: Literal["current_price", "lowest_recent_price"] = "lowest_recent_price"
    no_receipt_days: int = Field(default=30, ge=1, le=365)
    no_receipt_refund_as: Literal["cash", "gift_card"] = "cash"


class LedgerSection(_Section):
    path: Path = Path("store.db")
    busy_timeout_ms: int = Field(default=5000, ge=100, le=60000)


class ApiSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class SecuritySection(_Section):
    token_ttl_minutes: int = Field(default=720, ge=1, le=10080)
    max_pin_attempts: int = Field(default=5, ge=1, le=20)
    lockout_minutes: int = Field(default=15, ge=1, le=1440)
    pin_min_length: int = Field(default=4, ge=4, le=12)
    # argon2id cost; the default is OWASP's minimum. Lower only for tests.
    pin_hash_time_cost: int = Field(default=2, ge=1, le=10)
    pin_hash_memory_kib: int = Field(default=19456, ge=8, le=1048576)


class LogSection(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class TaxClassConfig(_Section):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    rate_bp: int = Field(ge=0, le=10000, description="rate in basis points: 1300 = 13 %")
    name_en: str
    name_zh: str


DEFAULT_TAX_CLASSES = (
    TaxClassConfig(code="VAT13", rate_bp=1300, name_en="VAT 13%", name_zh="增值税 13%"),
    TaxClassConfig(code="VAT9", rate_bp=900, name_en="VAT 9%", name_zh="增值税 9%"),
    TaxClassConfig(code="VAT0", rate_bp=0, name_en="VAT 0%", name_zh="增值税 0%"),
)


class Settings(BaseSettings):
    """Everything the node reads at start; the config file's directory anchors relative paths."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=ENV_NESTED, extra="forbid", frozen=True
    )

    store: StoreSection
    pricing: PricingSection = PricingSection()
    returns: ReturnsSection = ReturnsSection()
    ledger: LedgerSection = LedgerSection()
    api: ApiSection = ApiSection()
    security: SecuritySection = SecuritySection()
    log: LogSection = LogSection()
    sync: SyncSection | None = None
    tax_classes: tuple[TaxClassConfig, ...] = DEFAULT_TAX_CLASSES
    devices: DevicesSection = DevicesSection()
    lanes: tuple[LaneConfig, ...] = ()
    config_dir: Path = Path(".")

    @model_validator(mode="after")
    def _unique_tax_classes(self) -> Settings:
        codes = [tax.code for tax in self.tax_classes]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"tax class code(s) defined twice: {', '.join(duplicates)}")
        return self

    @property
    def ledger_path(self) -> Path:
        path = self.ledger.path
        return path if path.is_absolute() else (self.config_dir / path).resolve()


def _describe_error(error: dict[str, Any], path: Path) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part != "__root__"]
    key = ".".join(loc) or "(top level)"
    reason = error.get("msg", "invalid")
    reason = reason.removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        reason = "unknown key (check the spelling; see firmware-config/store.example.toml)"
    env_name = ENV_PREFIX + ENV_NESTED.join(part.upper() for part in loc)
    if loc and env_name in os.environ:
        return f"config error: environment {env_name}: {reason}"
    return f"config error: {path}: {key}: {reason}"


def load_settings(path: Path | str) -> Settings:
    """Read and validate the store config file plus environment overrides; raises ConfigError."""
    config_path = Path(path).expanduser().resolve()
    if not config_path.is_file():
        raise ConfigError(f"config error: {config_path}: file not found (create one from firmware-config/store.example.toml)")
    try:
        with config_path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config error: {config_path}: not valid TOML: {err}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config error: {config_path}: cannot read: {err}") from err

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            # Environment first (it wins), then the file's values passed as init arguments.
            return (env_settings, init_settings)

    try:
        settings = _FromFile(**data, config_dir=config_path.parent)
    except ValidationError as err:
        raise ConfigError(_describe_error(dict(err.errors()[0]), config_path)) from err
    return settings
