"""Device profiles: YAML files in `firmware-config/profiles/` loaded into frozen dataclasses.

A profile says what a model speaks (serial settings, suffix, symbology ids, paper width, code
page, cutter, drawer pulse, scale range). Anything wrong is refused at start with the file,
the key and the reason; a store config naming a model no profile describes is refused too.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from devices.errors import ProfileError, UnknownModel
from devices.yaml_section import Section

DEFAULT_PROFILE_DIR = Path(__file__).resolve().parents[1] / "firmware-config" / "profiles"
GB18030 = "GB18030"
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
COLUMNS_BY_WIDTH = {58: (32,), 80: (42, 48)}
SUFFIXES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}
KINDS = ("printer", "scanner", "scale", "display")
_MODEL_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class SerialSettings:
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"  # N, E, O
    stopbits: int = 1
    rtscts: bool = False
    xonxoff: bool = False


@dataclass(frozen=True, slots=True)
class DrawerPulse:
    """ESC p m t1 t2: which connector pin fires (2 or 5) and for how long."""

    pin: int = 2
    on_ms: int = 100
    off_ms: int = 200

    def command(self, pin: int | None = None) -> list[int]:
        """The kick as python-escpos `cashdraw` wants a custom pulse: [27, 112, m, t1, t2]."""
        use = self.pin if pin is None else pin
        return [27, 112, 0 if use == 2 else 1, min(255, self.on_ms // 2), min(255, self.off_ms // 2)]


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    model: str
    name: str
    source: str  # the file it came from
    paper_width_mm: int
    columns: int
    escpos_profile: str  # python-escpos capabilities profile name
    code_page: str  # an ESC t code page of that profile, or GB18030 (FS & Chinese mode)
    cutter: str = "partial"  # full, partial, none
    drawer: DrawerPulse = field(default_factory=DrawerPulse)
    realtime_status: bool = False  # answers DLE EOT
    qr: str = "native"  # native (GS ( k), image, none
    barcode: str = "CODE128"  # or none
    logo: str | None = None  # absolute path of an image
    serial: SerialSettings = field(default_factory=SerialSettings)
    usb_vendor_id: int | None = None
    usb_product_id: int | None = None
    vendor: str = ""

    @property
    def chinese(self) -> bool:
        return self.code_page == GB18030

    @property
    def codec(self) -> str:
        return python_codec(self.code_page)


@dataclass(frozen=True, slots=True)
class ScannerProfile:
    model: str
    name: str
    source: str
    serial: SerialSettings = field(default_factory=SerialSettings)
    suffix: bytes = b"\r"
    aim_ids: bool = False  # the scanner prefixes each code with ]Cm
    max_length: int = 2048
    vendor: str = ""


@dataclass(frozen=True, slots=True)
class ScaleProfile:
    model: str
    name: str
    source: str
    protocol: str  # mt-sics
    capacity_g: int
    min_g: int
    increment_g: int
    serial: SerialSettings = field(default_factory=SerialSettings)
    timeout_s: float = 3.0
    vendor: str = ""


@dataclass(frozen=True, slots=True)
class DisplayProfile:
    model: str
    name: str
    source: str
    serial: SerialSettings = field(default_factory=SerialSettings)
    columns: int = 20
    rows: int = 2
    code_page: str = "CP437"  # CP437, CP858, or GB18030 for displays with a Chinese font
    vendor: str = ""

    @property
    def chinese(self) -> bool:
        return self.code_page == GB18030


def python_codec(code_page: str) -> str:
    """The Python codec of a printer code page name (CP858 -> cp858); LookupError if none."""
    if code_page.upper() == GB18030:
        return "gb18030"
    return codecs.lookup(code_page.lower().replace("-", "_")).name


Profile = PrinterProfile | ScannerProfile | ScaleProfile | DisplayProfile
P = TypeVar("P", PrinterProfile, ScannerProfile, ScaleProfile, DisplayProfile)


def _serial(top: Section) -> SerialSettings:
    s = top.section("serial")
    flow = s.get("flow", str, "none", ("none", "rtscts", "xonxoff"))
    settings = SerialSettings(
        baudrate=s.get("baudrate", int, 9600, BAUD_RATES),
        bytesize=s.get("bytesize", int, 8, (7, 8)),
        parity=s.get("parity", str, "N", ("N", "E", "O")),
        stopbits=s.get("stopbits", int, 1, (1, 2)),
        rtscts=flow == "rtscts",
        xonxoff=flow == "xonxoff",
    )
    s.done()
    return settings


def _usb_id(sec: Section, name: str) -> int | None:
    text = sec.get(name, str, None)
    if text is None:
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{4}", text):
        raise sec.fail(name, f"{text!r} must be four hex digits, e.g. '04b8' (quote it in YAML)")
    return int(text, 16)


def _printer(top: Section, base: dict[str, Any], directory: Path) -> PrinterProfile:
    from escpos.capabilities import get_profile  # heavy import, only when a printer is loaded

    width = top.get("paper_width_mm", int, ..., tuple(COLUMNS_BY_WIDTH))
    columns = top.get("columns", int, COLUMNS_BY_WIDTH[width][-1])
    if columns not in COLUMNS_BY_WIDTH[width]:
        allowed = " or ".join(map(str, COLUMNS_BY_WIDTH[width]))
        raise top.fail("columns", f"{columns} does not fit {width} mm paper (use {allowed})")
    escpos_name = top.get("escpos_profile", str, "default")
    try:
        caps = get_profile(escpos_name)
    except Exception as err:  # python-escpos raises its own NotSupported for unknown names
        raise top.fail("escpos_profile", f"python-escpos has no profile {escpos_name!r}") from err
    code_page = top.get("code_page", str, "CP437").upper()
    known_pages = [p for p in caps.get_code_pages() if p != "Unknown"]
    if code_page != GB18030 and code_page not in known_pages:
        raise top.fail("code_page", f"{code_page!r} is not a code page of {escpos_name} "
                       f"(known: {GB18030}, {', '.join(known_pages)})")
    try:
        python_codec(code_page)
    except LookupError as err:
        raise top.fail("code_page", f"{code_page!r} has no text codec here; choose another") from err
    drawer_sec = top.section("drawer")
    drawer = DrawerPulse(
        pin=drawer_sec.get("pin", int, 2, (2, 5)),
        on_ms=drawer_sec.number("on_ms", 100, 2, 510),
        off_ms=drawer_sec.number("off_ms", 200, 2, 510),
    )
    drawer_sec.done()
    logo = top.get("logo", str, None)
    if logo is not None:
        logo_path = (directory / logo).resolve()
        if not logo_path.is_file():
            raise top.fail("logo", f"no image file at {logo_path}")
        logo = str(logo_path)
    usb = top.section("usb")
    vendor_id, product_id = _usb_id(usb, "vendor_id"), _usb_id(usb, "product_id")
    usb.done()
    return PrinterProfile(
        **base,
        paper_width_mm=width,
        columns=columns,
        escpos_profile=escpos_name,
        code_page=code_page,
        cutter=top.get("cutter", str, "partial", ("full", "partial", "none")),
        drawer=drawer,
        realtime_status=top.get("realtime_status", bool, False),
        qr=top.get("qr", str, "native", ("native", "image", "none")),
        barcode=top.get("barcode", str, "CODE128", ("CODE128", "none")),
        logo=logo,
        serial=_serial(top),
        usb_vendor_id=vendor_id,
        usb_product_id=product_id,
    )


def _scanner(top: Section, base: dict[str, Any]) -> ScannerProfile:
    suffix = top.get("suffix", str, "CR", tuple(SUFFIXES))
    return ScannerProfile(
        **base,
        serial=_serial(top),
        suffix=SUFFIXES[suffix],
        aim_ids=top.get("aim_ids", bool, False),
        max_length=top.number("max_length", 2048, 8, 65536),
    )


def _scale(top: Section, base: dict[str, Any]) -> ScaleProfile:
    capacity = top.number("capacity_g", ..., 100, 300_000)
    increment = top.number("increment_g", ..., 1, 1000)
    min_g = top.number("min_g", 20 * increment, 1, capacity)
    return ScaleProfile(
        **base,
        protocol=top.get("protocol", str, ..., ("mt-sics",)),
        capacity_g=capacity,
        min_g=min_g,
        increment_g=increment,
        serial=_serial(top),
        timeout_s=top.number("timeout_s", 3.0, 0.1, 30.0, float),
    )


def _display(top: Section, base: dict[str, Any]) -> DisplayProfile:
    return DisplayProfile(
        **base,
        serial=_serial(top),
        columns=top.number("columns", 20, 8, 40),
        rows=top.number("rows", 2, 1, 4),
        code_page=top.get("code_page", str, "CP437", ("CP437", "CP850", "CP858", "CP1252", GB18030)),
    )


def load_profile(path: Path) -> Profile:
    """Load and validate one profile file; ProfileError naming file, key and reason."""
    file = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ProfileError(file, "(file)", f"cannot be read: {err.strerror or err}") from err
    except yaml.YAMLError as err:
        raise ProfileError(file, "(yaml)", f"is not valid YAML: {err}") from err
    top = Section(file, data)
    model = top.get("model", str)
    if not _MODEL_RE.match(model):
        raise top.fail("model", f"{model!r} must be lower-case letters, digits, '.', '-' or '_'")
    kind = top.get("kind", str, ..., KINDS)
    base = {
        "model": model,
        "name": top.get("name", str, model),
        "vendor": top.get("vendor", str, ""),
        "source": file,
    }
    profile: Profile
    if kind == "printer":
        profile = _printer(top, base, path.parent)
    elif kind == "scanner":
        profile = _scanner(top, base)
    elif kind == "scale":
        profile = _scale(top, base)
    else:
        profile = _display(top, base)
    top.done()
    return profile


@dataclass(frozen=True)
class ProfileCatalog:
    """All profiles of a directory by model; `printer("epson-tm-t20")` etc. refuse unknown models."""

    profiles: Mapping[str, Profile]

    @classmethod
    def load(cls, directory: Path = DEFAULT_PROFILE_DIR) -> ProfileCatalog:
        found: dict[str, Profile] = {}
        files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
        if not files:
            raise ProfileError(str(directory), "(directory)", "holds no *.yaml device profiles")
        for path in files:
            profile = load_profile(path)
            if profile.model in found:
                other = found[profile.model].source
                raise ProfileError(str(path), "model", f"{profile.model!r} is also defined in {other}")
            found[profile.model] = profile
        return cls(found)

    def _get(self, model: str, kind: type[P]) -> P:
        profile = self.profiles.get(model)
        if not isinstance(profile, kind):
            label = kind.__name__.removesuffix("Profile").lower()
            known = sorted(m for m, p in self.profiles.items() if isinstance(p, kind))
            raise UnknownModel(
                f"unknown {label} model {model!r} (known: {', '.join(known) or 'none'})"
            )
        return profile

    def printer(self, model: str) -> PrinterProfile:
        return self._get(model, PrinterProfile)

    def scanner(self, model: str) -> ScannerProfile:
        return self._get(model, ScannerProfile)

    def scale(self, model: str) -> ScaleProfile:
        return self._get(model, ScaleProfile)

    def display(self, model: str) -> DisplayProfile:
        return self._get(model, DisplayProfile)
