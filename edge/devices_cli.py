"""`storenode devices list|test LANE|simulate`: the lanes' devices from the command line.

`list` shows what the store config binds and asks each device how it is; `test` prints a test
page, fires the drawer and reads the scale of one lane; `simulate` runs virtual lane hardware
(scanner, scale and display on ptys, a network printer on TCP) and writes every job the
virtual printer receives into a folder as text and PNG.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.errors import NodeError
from edge.lanes import LaneDevices, build_lane_devices
from edge.settings import Settings, load_settings

if TYPE_CHECKING:
    from devices.simulator import VirtualPrinter


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config or os.environ.get("STORENODE_CONFIG") or "store.toml")


def _probe(kind: str, device: Any) -> str:
    """Ask a device how it is without disturbing a running node: status, identity or presence."""
    from devices.errors import DeviceError

    try:
        if kind == "printer":
            status = device.status()
            return f"ok ({'status ' + (status.fault or 'ok') if status.supported else 'no status on this model/link'})"
        if kind == "scale":
            return f"ok (serial number {device.probe()})"
        path = getattr(device, "port", None) or getattr(device.transport, "description", "")
        if kind == "scanner" and str(path).startswith("tcp://"):
            return "tcp (not probed: the node holds the connection)"
        return "present" if os.path.exists(str(path)) else f"missing: {path} is not plugged in"
    except DeviceError as err:
        return f"FAULT: {err.message}"


def cmd_list(args: argparse.Namespace) -> int:
    lanes = build_lane_devices(_settings(args))
    if not lanes:
        print("no lanes in the store config: add [[lanes]] (docs/devices.md)")
        return 0
    for lane, devices in sorted(lanes.items()):
        print(f"lane {lane}")
        for kind, device, model, address in devices.handles():
            role = ""
            if kind == "printer":
                marks = [m for m, on in (("receipts", device.printer_id == devices.config.receipt_printer_id),
                                         ("drawer", device is devices.drawer)) if on]
                role = f" [{', '.join(marks)}]" if marks else ""
                kind = f"printer {device.printer_id}"
            print(f"  {kind:<18} {model:<26} {address:<40} {_probe(kind.split()[0], device)}{role}")
    return 0


def _lane(args: argparse.Namespace) -> LaneDevices:
    lanes = build_lane_devices(_settings(args))
    if args.lane not in lanes:
        raise NodeError(f"lane {args.lane} is not in the store config (lanes: {', '.join(map(str, sorted(lanes))) or 'none'})")
    return lanes[args.lane]


def cmd_test(args: argparse.Namespace) -> int:
    from devices.errors import DeviceError

    devices = _lane(args)
    chosen = {name for name in ("page", "drawer", "scale") if getattr(args, name)} or {"page", "drawer", "scale"}
    failed = 0

    def attempt(what: str, action: Any) -> None:
        nonlocal failed
        try:
            print(f"{what}: {action() or 'done'}")
        except DeviceError as err:
            failed += 1
            print(f"{what}: FAILED: {err.message}")

    printer, drawer, scale = devices.receipt_printer, devices.drawer, devices.scale
    if "page" in chosen and printer is not None:
        attempt(f"test page on {printer.printer_id}", printer.print_test_page)
    if "drawer" in chosen and drawer is not None:
        attempt(f"drawer through {drawer.printer_id}", lambda: drawer.open_drawer(devices.drawer_pin))
    if "scale" in chosen and scale is not None:
        def weigh() -> str:
            reading = scale.read(wait_for_stable=False)
            return f"{reading.grams} g ({'stable' if reading.stable else 'moving'})"

        attempt("scale", weigh)
    return 1 if failed else 0


class ReceiptFolder:
    """Writes each job a virtual printer received into a folder: NNNN.txt (and NNNN.png)."""

    def __init__(self, printer: VirtualPrinter, folder: Path, *, png: bool = True, columns: int = 48) -> None:
        self.printer, self.folder, self.png, self.columns = printer, folder, png, columns
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="receipt-folder", daemon=True)
        self.written = 0

    def start(self) -> ReceiptFolder:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written = len(list(self.folder.glob("*.txt")))
        self._offset = len(self.printer.jobs)
        self._thread.start()
        return self

    def _run(self) -> None:
        from devices.simulator import render_png

        while not self._stop.wait(0.2):
            jobs = self.printer.jobs
            for job in jobs[self._offset:]:
                decoded = job.decoded
                if not decoded.lines:
                    continue  # a drawer kick or a status ping
                self.written += 1
                stem = self.folder / f"{self.written:04d}"
                stem.with_suffix(".txt").write_text(decoded.render() + "\n", encoding="utf-8")
                if self.png:
                    render_png(decoded, stem.with_suffix(".png"), self.columns)
            self._offset = len(jobs)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2.0)


def simulator_config(device_dir: Path, printer_address: str, lane: int = 1,
                     printer_model: str = "generic-80mm-gb18030") -> str:
    """The `[[lanes]]` snippet binding a lane to the simulator whose links are in `device_dir`."""
    return (
        f"[[lanes]]\nid = {lane}\n"
        f'scanner = {{ model = "honeywell-xenon-1950g", address = "{device_dir / "scanner"}" }}\n'
        f'scale = {{ model = "mettler-toledo-sics", address = "{device_dir / "scale"}" }}\n'
        f'display = {{ model = "generic-vfd-2x20-gb18030", address = "{device_dir / "display"}" }}\n'
        f'printers = [{{ id = "lane{lane}", model = "{printer_model}", address = "{printer_address}" }}]\n'
        "drawer = { pin = 2 }\n"
    )


def cmd_simulate(args: argparse.Namespace) -> int:
    from devices.simulator import Simulator

    try:
        sim = Simulator(Path(args.dir).resolve(), printer_port=args.port).start()
    except OSError as err:
        raise NodeError(f"cannot start the simulator in {args.dir} (printer port {args.port}): {err}") from err
    folder = ReceiptFolder(sim.printer, Path(args.receipts).resolve(), png=not args.no_png)
    try:
        folder.start()
        print(f"# virtual lane hardware in {sim.directory}; add this to store.toml and start the node:\n")
        print(simulator_config(sim.directory, sim.printer.address))
        print(f"# printed receipts go to {folder.folder} (text{'' if args.no_png else ' and PNG'}); Ctrl+C stops",
              flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        folder.stop()
        sim.stop()


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `devices list|test|simulate` to the storenode command line."""
    parent = commands.add_parser("devices", help="lane devices: list, test, simulate",
                                 description="lane devices: list, test, simulate")
    sub = parent.add_subparsers(dest="devices_command", required=True, metavar="SUBCOMMAND")

    def add(name: str, fn: Any, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=fn)
        return command

    add("list", cmd_list, "list the devices bound to each lane with their health")
    test = add("test", cmd_test, "print a test page, open the drawer and read the scale of a lane")
    test.add_argument("lane", type=int)
    test.add_argument("--page", action="store_true", help="only the test page")
    test.add_argument("--drawer", action="store_true", help="only the drawer")
    test.add_argument("--scale", action="store_true", help="only the scale")
    simulate = add("simulate", cmd_simulate, "run a virtual scanner, scale, display and printer for a lane")
    simulate.add_argument("--dir", default="sim-devices", help="where the device links go (default ./sim-devices)")
    simulate.add_argument("--receipts", default="sim-receipts", help="folder for printed receipts (default ./sim-receipts)")
    simulate.add_argument("--port", type=int, default=0, help="the printer's TCP port (default: a free one)")
    simulate.add_argument("--no-png", action="store_true", help="write text only")
