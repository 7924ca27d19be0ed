"""The store config's `[[lanes]]` and `[devices]`: which scanner, printers, drawer, scale and
customer display each lane has, checked against the device profiles when the node starts.

    [devices]
    profile_dir = "firmware-config/profiles"     # default: the install's own profiles

    [[lanes]]
    id = 1
    scanner = { model = "honeywell-xenon-1950g", address = "/dev/serial/by-id/usb-Honeywell-if00" }
    scale = { model = "mettler-toledo-sics", address = "/dev/ttyUSB1" }
    display = { model = "generic-vfd-2x20-gb18030", address = "/dev/ttyUSB2" }
    printers = [{ id = "front-1", model = "epson-tm-t20", address = "tcp://192.168.1.50:9100" }]
    receipt_printer = "front-1"                  # default: the lane's first printer
    drawer = { pin = 2 }                         # fired through the receipt printer (or `printer`)

The shape is checked when the file is read; the models, profiles and addresses when the node
starts its devices (`resolve_lanes`), which refuses a bad one with file, key and reason
(`edge.settings.ConfigError`, the one line the node stops with).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from devices.profiles import (
        DisplayProfile,
        PrinterProfile,
        ProfileCatalog,
        ScaleProfile,
        ScannerProfile,
    )
    from edge.settings import Settings

MODEL = r"^[a-z0-9][a-z0-9._-]*$"
PRINTER_ID = r"^[A-Za-z0-9_-]{1,64}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceBinding(_Section):
    """One device of a lane: its profile's model and where it is plugged in."""

    model: str = Field(pattern=MODEL, description="a profile's `model` in firmware-config/profiles")
    address: str = Field(min_length=1, max_length=300, description="/dev/serial/by-id/..., tcp://host:port, ...")


class PrinterBinding(DeviceBinding):
    id: str = Field(pattern=PRINTER_ID, description="unique in the store; jobs and redirects name it")


class DrawerBinding(_Section):
    printer: str | None = Field(default=None, description="the printer whose DK port the drawer hangs on")
    pin: Literal[2, 5] | None = Field(default=None, description="kick pin; default: the printer profile's")


class LaneConfig(_Section):
    id: int = Field(ge=1, le=999)
    scanner: DeviceBinding | None = None
    scale: DeviceBinding | None = None
    display: DeviceBinding | None = None
    printers: tuple[PrinterBinding, ...] = ()
    receipt_printer: str | None = None
    drawer: DrawerBinding | None = None

    @model_validator(mode="after")
    def _printers_named(self) -> LaneConfig:
        ids = [p.id for p in self.printers]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"printer id(s) {', '.join(twice)} listed twice on lane {self.id}")
        if self.receipt_printer is not None and self.receipt_printer not in ids:
            raise ValueError(f"receipt_printer {self.receipt_printer!r} is not one of the lane's printers ({', '.join(ids) or 'none'})")
        if self.drawer is not None:
            if not ids:
                raise ValueError(f"lane {self.id} has a drawer but no printer to kick it")
            if self.drawer.printer is not None and self.drawer.printer not in ids:
                raise ValueError(f"drawer.printer {self.drawer.printer!r} is not one of the lane's printers")
        return self

    @property
    def receipt_printer_id(self) -> str | None:
        if self.receipt_printer is not None:
            return self.receipt_printer
        return self.printers[0].id if self.printers else None

    @property
    def drawer_printer_id(self) -> str | None:
        if self.drawer is None:
            return None
        return self.drawer.printer or self.receipt_printer_id


class DevicesSection(_Section):
    profile_dir: Path | None = Field(default=None, description="relative to the config file; default: the install's")
    print_retry_first_s: float = Field(default=2.0, ge=0.05, le=60, description="first retry of a failed print job")
    print_retry_max_s: float = Field(default=30.0, ge=0.1, le=600, description="longest wait between retries")
    print_poll_s: float = Field(default=1.0, ge=0.05, le=30, description="how often the print queue looks for due jobs")


@dataclass(frozen=True)
class BoundLane:
    """A lane's config with the profile of each of its devices."""

    config: LaneConfig
    scanner: ScannerProfile | None = None
    scale: ScaleProfile | None = None
    display: DisplayProfile | None = None
    printers: dict[str, PrinterProfile] = field(default_factory=dict)


def _refuse(message: str) -> Exception:
    from edge.settings import ConfigError  # edge.settings imports this module

    return ConfigError(message)


def config_file(settings: Settings) -> Path:
    """The store config file the lanes came from, for error messages."""
    named = os.environ.get("STORENODE_CONFIG")
    if named and Path(named).expanduser().resolve().parent == settings.config_dir:
        return Path(named).expanduser().resolve()
    return settings.config_dir / "store.toml"


def profile_dir(settings: Settings) -> Path:
    from devices.profiles import DEFAULT_PROFILE_DIR

    chosen = settings.devices.profile_dir
    if chosen is None:
        return DEFAULT_PROFILE_DIR
    return chosen if chosen.is_absolute() else (settings.config_dir / chosen).resolve()


def load_profiles(settings: Settings) -> ProfileCatalog:
    """Every profile of the configured directory; ConfigError naming the bad file and key."""
    from devices.errors import ProfileError
    from devices.profiles import ProfileCatalog

    try:
        return ProfileCatalog.load(profile_dir(settings))
    except ProfileError as err:
        raise _refuse(f"config error: {err.message}") from err


def resolve_lanes(settings: Settings, catalog: ProfileCatalog | None = None) -> list[BoundLane]:
    """Each configured lane with its devices' profiles; ConfigError with file, key and reason."""
    from devices.errors import DeviceError
    from devices.printer import parse_printer_address

    if not settings.lanes:
        return []
    catalog = catalog or load_profiles(settings)
    where = config_file(settings)
    seen_lanes: set[int] = set()
    shared: dict[str, tuple[str, str, int]] = {}  # printer id -> (model, address, lane)
    bound: list[BoundLane] = []
    for index, lane in enumerate(settings.lanes):
        key = f"lanes.{index}"

        def fail(sub: str, reason: str, key: str = key) -> Exception:
            return _refuse(f"config error: {where}: {key}.{sub}: {reason}")

        if lane.id in seen_lanes:
            raise fail("id", f"lane {lane.id} is configured twice")
        seen_lanes.add(lane.id)
        try:
            scanner = None if lane.scanner is None else catalog.scanner(lane.scanner.model)
        except DeviceError as err:
            raise fail("scanner.model", err.message) from err
        try:
            scale = None if lane.scale is None else catalog.scale(lane.scale.model)
        except DeviceError as err:
            raise fail("scale.model", err.message) from err
        try:
            display = None if lane.display is None else catalog.display(lane.display.model)
        except DeviceError as err:
            raise fail("display.model", err.message) from err
        printers: dict[str, PrinterProfile] = {}
        for n, printer in enumerate(lane.printers):
            try:
                printers[printer.id] = catalog.printer(printer.model)
            except DeviceError as err:
                raise fail(f"printers.{n}.model", err.message) from err
            try:
                parse_printer_address(printer.address)
            except DeviceError as err:
                raise fail(f"printers.{n}.address", err.message) from err
            first = shared.setdefault(printer.id, (printer.model, printer.address, lane.id))
            if first[:2] != (printer.model, printer.address):
                raise fail(f"printers.{n}.id", f"printer {printer.id!r} is also on lane {first[2]} with another model or address")
        for name, binding in (("scanner", lane.scanner), ("scale", lane.scale), ("display", lane.display)):
            if binding is not None and name != "scanner" and "://" in binding.address:
                raise fail(f"{name}.address", f"{binding.address!r}: a {name} is a serial device path like /dev/serial/by-id/...")
        bound.append(BoundLane(lane, scanner, scale, display, printers))
    return bound
