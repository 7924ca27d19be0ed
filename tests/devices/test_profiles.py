"""Device profiles: the shipped ones load; a bad one is refused naming file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.errors import ProfileError, UnknownModel
from devices.profiles import PrinterProfile, ProfileCatalog, load_profile

GOOD_PRINTER = """\
model: test-printer
kind: printer
paper_width_mm: 80
columns: 48
escpos_profile: TM-T20II
code_page: CP858
drawer: {pin: 5}
"""


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_profiles_cover_the_issue_models(catalog: ProfileCatalog) -> None:
    assert catalog.printer("epson-tm-t20").columns == 48
    assert catalog.printer("epson-tm-t88").columns == 42
    chinese = catalog.printer("generic-58mm-gb18030")
    assert (chinese.columns, chinese.chinese, chinese.codec) == (32, True, "gb18030")
    assert catalog.scanner("honeywell-xenon-1950g").suffix == b"\r"
    assert catalog.scanner("zebra-ds2208").suffix == b"\r\n"
    assert catalog.scale("mettler-toledo-sics").protocol == "mt-sics"
    assert catalog.display("epson-dm-d110").columns == 20


def test_a_good_profile_loads_into_a_frozen_dataclass(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD_PRINTER))
    assert isinstance(profile, PrinterProfile)
    assert profile.drawer.pin == 5
    assert profile.drawer.command() == [27, 112, 1, 50, 100]


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (("columns: 48", "columns: 32"), "columns", "does not fit 80 mm paper"),
        (("code_page: CP858", "code_page: KLINGON"), "code_page", "not a code page of TM-T20II"),
        (("escpos_profile: TM-T20II", "escpos_profile: TM-NOPE"), "escpos_profile", "no profile 'TM-NOPE'"),
        (("drawer: {pin: 5}", "drawer: {pin: 3}"), "drawer.pin", "3 is not one of 2, 5"),
        (("drawer: {pin: 5}", "drawer: {pin: 2, pulse: 9}"), "drawer.pulse", "unknown key"),
        (("paper_width_mm: 80", "paper_width_mm: '80'"), "paper_width_mm", "must be int"),
        (("kind: printer", "kind: toaster"), "kind", "'toaster' is not one of"),
        (("model: test-printer", "model: Test Printer"), "model", "must be lower-case"),
        (("columns: 48", "columns: 48\nbaud_rate: 9600"), "baud_rate", "unknown key"),
    ],
)
def test_a_bad_profile_names_file_key_and_reason(
    tmp_path: Path, change: tuple[str, str], key: str, reason: str
) -> None:
    path = write(tmp_path, GOOD_PRINTER.replace(*change))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    err = caught.value
    assert (err.file, err.key) == (str(path), key)
    assert reason in err.reason
    assert str(err).startswith(f"{path}: {key}: ")


def test_a_missing_required_key_and_broken_yaml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"s\.yaml: capacity_g: is required"):
        load_profile(write(tmp_path, "model: s\nkind: scale\nprotocol: mt-sics\nincrement_g: 5\n", "s.yaml"))
    with pytest.raises(ProfileError, match=r"y\.yaml: \(yaml\): is not valid YAML"):
        load_profile(write(tmp_path, "model: [unclosed\n", "y.yaml"))
    with pytest.raises(ProfileError, match=r"l\.yaml: \(top\): must be a mapping"):
        load_profile(write(tmp_path, "- a\n- b\n", "l.yaml"))


def test_a_model_defined_twice_is_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD_PRINTER, "a.yaml")
    write(tmp_path, GOOD_PRINTER, "b.yaml")
    with pytest.raises(ProfileError, match=r"b\.yaml: model: 'test-printer' is also defined in .*a\.yaml"):
        ProfileCatalog.load(tmp_path)


def test_an_unknown_model_is_refused_with_the_known_ones(catalog: ProfileCatalog) -> None:
    with pytest.raises(UnknownModel, match=r"unknown printer model 'tm-x9' \(known: epson-tm-t20, "):
        catalog.printer("tm-x9")
    with pytest.raises(UnknownModel, match="unknown scanner model 'epson-tm-t20'"):
        catalog.scanner("epson-tm-t20")  # a printer is not a scanner
