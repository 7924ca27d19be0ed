"""The simulator a demo store runs on: every virtual device driven by its real driver."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from devices.display import PoleDisplay
from devices.printer import ReceiptPrinter
from devices.profiles import ProfileCatalog
from devices.scale import Scale
from devices.scanner import Scan, Scanner
from devices.simulator import Simulator, render_png
from pos.receipt import Language
from tests.devices.helpers import sample_receipt, wait_until


def test_a_whole_lane_on_the_simulator(catalog: ProfileCatalog, tmp_path: Path) -> None:
    with Simulator(tmp_path / "dev") as sim:
        assert set(sim.paths) == {"scanner", "scale", "display"}
        assert all(Path(p).exists() for p in sim.paths.values())
        scans: list[Scan] = []
        with Scanner.from_profile("s", catalog.scanner("honeywell-xenon-1950g"), sim.paths["scanner"],
                                  scans.append) as scanner:
            wait_until(lambda: scanner.health.state.value == "ok", what="the scanner")
            sim.scanner.scan("6901234567892")
            wait_until(lambda: [s.code for s in scans] == ["6901234567892"], what="the scan")

        sim.scale.put(1234)
        scale = Scale("w", catalog.scale("mettler-toledo-sics"), sim.paths["scale"])
        assert scale.weigh_for_sale().grams == 1234
        scale.close()

        display = PoleDisplay("d", catalog.display("generic-vfd-2x20-gb18030"), sim.paths["display"])
        display.show_change(10000, 130)
        wait_until(lambda: sim.display.lines[1].startswith("找零"), what="the display")
        display.close()

        printer = ReceiptPrinter("p", catalog.printer("generic-58mm-gb18030"), sim.printer.address)
        printer.print_document(sample_receipt(Language.ZH))
        (job,) = sim.printer.wait_for_receipts(1)
        assert "富士苹果" in job.text
        png = render_png(job.decoded, tmp_path / "receipt.png", columns=32)
        with Image.open(png) as image:
            assert image.width > 300 and image.height > 600  # a strip of paper with a QR code
    assert not Path(sim.paths["scanner"]).exists()
