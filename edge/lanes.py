"""The lanes' devices, owned by the node: scanners, receipt printers, drawers, scales, displays.

Built from `[[lanes]]` when the node starts its devices (a bad binding stops it: file, key,
reason). A scan goes out on the lane's event stream and into the lane's open sale; a weighed
item reads the lane's scale. Device health goes out as `device` events. The pole display and
the drawer follow the sale (checkout and completion listeners) on a worker thread per lane,
so no API call ever waits for a serial port or a printer.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from devices.errors import DeviceError
from devices.health import DeviceHealth, HealthListener, HealthState
from edge import catalog
from edge.checkout import Checkout
from edge.completion import Completed
from edge.events import EventHub
from edge.lane_config import BoundLane, LaneConfig, config_file, resolve_lanes
from edge.ledger import Ledger, driver
from edge.print_queue import PrintQueue
from edge.refunds import ReturnResult
from edge.sale_tables import OpenSaleRow
from edge.settings import ConfigError, Settings
from pos.errors import Conflict, NotFound, PosError
from pos.receipt import Language
from pos.sale import Sale, SaleState
from pos.tender import TenderKind
from pos.weighed import ScaleReading, is_label_barcode

if TYPE_CHECKING:  # the drivers (pyserial, python-escpos) load when devices are built
    from devices.display import PoleDisplay
    from devices.printer import ReceiptPrinter
    from devices.scale import Scale
    from devices.scanner import Scan, Scanner

log = logging.getLogger(__name__)
SEVERITY = {HealthState.OK: 0, HealthState.FAULT: 1, HealthState.DISCONNECTED: 2}
NOT_STARTED = "devices not started (storenode serve starts them)"


class DeviceWork:
    """One lane's worker thread for display and drawer; display updates coalesce to the newest."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._turn = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def submit(self, task: Callable[[], None]) -> None:
        self._queue.put(task)

    def show(self, task: Callable[[], None]) -> None:
        """A display update; skipped if a newer one is queued behind it."""
        with self._lock:
            self._turn += 1
            turn = self._turn

        def latest_only() -> None:
            if turn == self._turn:
                task()

        self.submit(latest_only)

    def _run(self) -> None:
        while (task := self._queue.get()) is not None:
            try:
                task()
            except DeviceError as err:  # already on the device's health; the lane carries on
                log.warning("%s: %s", self.name, err.message)
            except Exception:
                log.exception("%s: a device task failed", self.name)

    def stop(self, timeout_s: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout_s)


@dataclass
class LaneDevices:
    """One lane's device handles (None where the lane has no such device)."""

    config: LaneConfig
    scanner: Scanner | None = None
    scale: Scale | None = None
    display: PoleDisplay | None = None
    printers: dict[str, ReceiptPrinter] = field(default_factory=dict)
    work: DeviceWork = field(default_factory=lambda: DeviceWork("lane-devices"))

    @property
    def lane(self) -> int:
        return self.config.id

    @property
    def receipt_printer(self) -> ReceiptPrinter | None:
        chosen = self.config.receipt_printer_id
        return None if chosen is None else self.printers.get(chosen)

    @property
    def drawer(self) -> ReceiptPrinter | None:
        chosen = self.config.drawer_printer_id
        return None if chosen is None else self.printers.get(chosen)

    @property
    def drawer_pin(self) -> int | None:
        return None if self.config.drawer is None else self.config.drawer.pin

    def handles(self) -> list[tuple[str, Any, str, str]]:
        """(kind, device, model, address) of every device of the lane."""
        c = self.config
        found: list[tuple[str, Any, str, str]] = []
        for kind, device, binding in (("scanner", self.scanner, c.scanner), ("scale", self.scale, c.scale),
                                      ("display", self.display, c.display)):
            if device is not None and binding is not None:
                found.append((kind, device, binding.model, binding.address))
        for printer in c.printers:
            found.append(("printer", self.printers[printer.id], printer.model, printer.address))
        return found


def build_lane_devices(
    settings: Settings,
    on_scan: Callable[[LaneDevices, Scan], None] | None = None,
    on_health: Callable[[int, DeviceHealth], None] | None = None,
) -> dict[int, LaneDevices]:
    """Every lane's devices, built but not started; ConfigError naming file, key and reason."""
    bound = resolve_lanes(settings)
    language = Language(settings.store.language)
    shared: dict[str, ReceiptPrinter] = {}
    lanes: dict[int, LaneDevices] = {}
    for index, lane in enumerate(bound):
        lanes[lane.config.id] = _build_lane(settings, index, lane, language, shared, on_scan, on_health)
    return lanes


def _build_lane(
    settings: Settings, index: int, bound: BoundLane, language: Language, shared: dict[str, ReceiptPrinter],
    on_scan: Callable[[LaneDevices, Scan], None] | None, on_health: Callable[[int, DeviceHealth], None] | None,
) -> LaneDevices:
    from devices.display import PoleDisplay
    from devices.printer import ReceiptPrinter
    from devices.scale import Scale
    from devices.scanner import Scanner

    config = bound.config
    n = config.id
    devices = LaneDevices(config, work=DeviceWork(f"lane{n}-devices"))

    def health(device: DeviceHealth) -> None:
        if on_health is not None:
            on_health(n, device)

    listener: HealthListener = health
    try:
        if config.scanner is not None and bound.scanner is not None:
            def scanned(scan: Scan) -> None:
                if on_scan is not None:
                    on_scan(devices, scan)

            devices.scanner = Scanner.from_profile(f"lane{n}-scanner", bound.scanner, config.scanner.address,
                                                   scanned, on_health=listener)
        if config.scale is not None and bound.scale is not None:
            devices.scale = Scale(f"lane{n}-scale", bound.scale, config.scale.address, on_health=listener)
        if config.display is not None and bound.display is not None:
            devices.display = PoleDisplay(f"lane{n}-display", bound.display, config.display.address,
                                          language=language, currency_exponent=settings.store.currency_exponent,
                                          on_health=listener)
    except DeviceError as err:
        raise ConfigError(f"config error: {config_file(settings)}: lanes.{index}: {err.message}") from err
    for printer in config.printers:
        if printer.id not in shared:  # a printer two lanes share is one handle (one lock)
            shared[printer.id] = ReceiptPrinter(printer.id, bound.printers[printer.id], printer.address,
                                                on_health=listener)
        devices.printers[printer.id] = shared[printer.id]
    return devices


def health_view(device: DeviceHealth, model: str = "", address: str = "") -> dict[str, Any]:
    return {"device_id": device.device_id, "kind": device.kind, "state": device.state.value,
            "last_error": device.last_error, "since": device.since, "reconnects": device.reconnects,
            "model": model, "address": address}


class Lanes:
    """The node's lane devices: `start()` builds and starts them, `stop()` ends them all."""

    def __init__(self, settings: Settings, ledger: Ledger, checkout: Checkout, events: EventHub,
                 print_queue: PrintQueue) -> None:
        self._settings = settings
        self._ledger = ledger
        self._checkout = checkout
        self._events = events
        self.print_queue = print_queue
        self.lanes: dict[int, LaneDevices] = {}
        self._printers: dict[str, ReceiptPrinter] = {}
        # Per lane, the sale version the pole display was last given: the lane's writer tells of
        # a group once it is synced, a device's scan as soon as its own sync is done, so an older
        # version of a cart can be told after a newer one; it is not shown.
        self._shown: dict[int, tuple[str, int]] = {}
        self._shown_lock = threading.Lock()

    # -- life -------------------------------------------------------------------------------

    def start(self) -> None:
        if self.lanes or not self._settings.lanes:
            return
        lanes = build_lane_devices(self._settings, self._scanned, self._health_changed)
        self.lanes = lanes
        for devices in lanes.values():
            self._printers.update(devices.printers)
        for devices in lanes.values():
            devices.work.start()
            if devices.scanner is not None:
                devices.scanner.start()
            self._check(devices)
        self.print_queue.start(self.printer, on_health=self._queue_health)
        for lane in lanes:
            self._publish_health(lane)

    def stop(self) -> None:
        self.print_queue.stop()
        lanes, self.lanes = self.lanes, {}
        for devices in lanes.values():
            if devices.scanner is not None:
                devices.scanner.stop()
            devices.work.stop()
            if devices.scale is not None:
                devices.scale.close()
            if devices.display is not None:
                devices.display.close()
        self._printers = {}

    def _check(self, devices: LaneDevices) -> None:
        """Say hello to each device on the lane's worker, so health is known from the start."""
        display, scale = devices.display, devices.scale
        if display is not None:
            devices.work.show(lambda: display.show_welcome(self._store_name()))
        if scale is not None:
            devices.work.submit(lambda: _ignore(scale.probe()))
        for printer in devices.printers.values():
            if printer.answers_status:
                devices.work.submit(lambda p=printer: _ignore(p.status()))  # type: ignore[misc]

    def _store_name(self) -> str:
        store = self._settings.store
        return store.name_zh if self._settings.store.language == "zh-CN" else store.name_en

    # -- lookups ----------------------------------------------------------------------------

    def lane(self, lane: int) -> LaneDevices:
        devices = self.lanes.get(lane)
        if devices is None:
            if any(c.id == lane for c in self._settings.lanes):
                raise Conflict(f"lane {lane}'s devices are not started")
            raise NotFound(f"lane {lane} has no devices in the store config")
        return devices

    def printer(self, printer_id: str) -> ReceiptPrinter | None:
        return self._printers.get(printer_id)

    # -- health -----------------------------------------------------------------------------

    def health(self) -> list[dict[str, Any]]:
        """Per lane: overall state, each device's health and each printer's queue."""
        return [self.lane_health(config.id) for config in self._settings.lanes]

    def lane_health(self, lane: int) -> dict[str, Any]:
        config = next(c for c in self._settings.lanes if c.id == lane)
        devices = self.lanes.get(lane)
        views: list[dict[str, Any]] = []
        if devices is None:
            for kind, binding in (("scanner", config.scanner), ("scale", config.scale), ("display", config.display)):
                if binding is not None:
                    views.append(health_view(DeviceHealth(f"lane{lane}-{kind}", kind, HealthState.DISCONNECTED,
                                                          NOT_STARTED), binding.model, binding.address))
            for p in config.printers:
                views.append(health_view(DeviceHealth(p.id, "printer", HealthState.DISCONNECTED, NOT_STARTED),
                                         p.model, p.address))
        else:
            views = [health_view(device.health, model, address) for _, device, model, address in devices.handles()]
        summary: dict[str, Any] = {"lane": lane, "devices": views}
        kinds: dict[str, str] = {}
        for printer in config.printers:
            queue_health = self.print_queue.health(printer.id)
            view: dict[str, Any] = health_view(queue_health) if queue_health else {
                "device_id": printer.id, "kind": "print-queue", "state": "ok", "last_error": ""}
            view["pending"] = self.print_queue.pending_count(printer.id)
            views.append(view)
        for view in views:  # top-level state per kind (the receipt printer for "printer")
            kind = "printer" if view["kind"] == "print-queue" else view["kind"]
            if kind == "printer" and view["device_id"] != config.receipt_printer_id:
                continue
            kinds[kind] = _worst(kinds.get(kind, "ok"), view["state"])
        return {**summary, **kinds, "state": _worst("ok", *(v["state"] for v in views))}

    def _publish_health(self, lane: int) -> None:
        self._events.publish(lane, "device", self.lane_health(lane))

    def _health_changed(self, lane: int, device: DeviceHealth) -> None:
        if device.kind == "scanner" and device.state is HealthState.FAULT:
            self._events.publish(lane, "scan.error", {"message": device.last_error, "source": device.device_id})
        lanes = self.print_queue.printer_lanes.get(device.device_id, [lane]) if device.kind == "printer" else [lane]
        for each in lanes:
            self._publish_health(each)

    def _queue_health(self, device: DeviceHealth) -> None:
        for lane in self.print_queue.printer_lanes.get(device.device_id, []):
            self._publish_health(lane)

    # -- scans ------------------------------------------------------------------------------

    def _scanned(self, devices: LaneDevices, scan: Scan) -> None:
        """A scan from the lane's scanner: on the event stream, then into the open sale."""
        lane = devices.lane
        self._events.publish(lane, "scan", {"code": scan.code, "symbology": scan.symbology, "aim_id": scan.aim_id,
                                            "source": scan.source, "at": scan.at.isoformat()})
        try:
            sale_id = self._open_sale_id(lane)
            if sale_id is None:
                raise Conflict(f"no open sale on lane {lane}: start a sale, then scan again")
            self._checkout.add_item(sale_id, code=scan.code, scale=self._weigh_if_sold_by_weight(devices, scan.code))
        except (PosError, DeviceError) as err:
            self._scan_error(lane, scan, err.message)
        except Exception as err:  # the lane carries on whatever a scan did
            log.exception("lane %d: scan %r failed", lane, scan.code)
            self._scan_error(lane, scan, f"the scan could not be added: {err}")

    def _open_sale_id(self, lane: int) -> str | None:
        """The lane's open sale, without reading its whole cart (a scan must be quick)."""
        with self._ledger.read() as session:
            return session.exec(select(OpenSaleRow.sale_id).where(OpenSaleRow.lane == lane, OpenSaleRow.state == "open")).first()

    def _weigh_if_sold_by_weight(self, devices: LaneDevices, code: str) -> ScaleReading | None:
        if devices.scale is None or is_label_barcode(code):
            return None  # no scale: checkout says "put it on the scale"; a label carries its weight
        with self._ledger.read() as session:
            try:
                item = catalog.lookup_code(driver(session.connection()), code)
            except PosError:
                return None  # add_item reports the unknown code
        return devices.scale.weigh_for_sale() if item.unit == "kg" else None

    def _scan_error(self, lane: int, scan: Scan, message: str) -> None:
        log.info("lane %d: scan %r refused: %s", lane, scan.code, message)
        self._events.publish(lane, "scan.error", {"code": scan.code, "message": message, "source": scan.source})

    # -- the display and the drawer follow the sale -----------------------------------------

    def _newer(self, sale: Sale) -> bool:
        """Whether `sale` is newer than what the lane's display was given last (and note it)."""
        lane = int(sale.lane_id)
        with self._shown_lock:
            last = self._shown.get(lane)
            if last is not None and last[0] == sale.sale_id and last[1] >= sale.version:
                return False
            self._shown[lane] = (sale.sale_id, sale.version)
            return True

    def sale_changed(self, sale: Sale) -> None:
        """Checkout listener: the last item and the total on the pole display."""
        devices = self.lanes.get(int(sale.lane_id))
        display = None if devices is None else devices.display
        if devices is None or display is None or not self._newer(sale):
            return
        try:
            if sale.state is SaleState.OPEN and sale.active_lines:
                line, totals = sale.active_lines[-1], sale.totals()
                amount = next((t.gross for t in totals.lines if t.line_id == line.line_id), line.amount)
                devices.work.show(lambda: display.show_item(line.name_en, line.name_zh, amount, totals.total))
            elif sale.state is SaleState.OPEN:
                devices.work.show(lambda: display.show_total(0))
            else:
                devices.work.show(lambda: display.show_welcome(self._store_name()))
        except Exception:  # never fail the cashier's command over the display
            log.exception("lane %s: display update failed", sale.lane_id)

    def sale_completed(self, done: Completed) -> None:
        """Completion listener: the change on the display; the drawer opens for cash."""
        devices = self.lanes.get(int(done.sale.lane_id))
        if devices is None:
            return
        try:
            change = int(done.record["settlement"]["change"])
            display = devices.display
            if display is not None and self._newer(done.sale):
                paid = sum(t.amount for t in done.sale.tenders)
                devices.work.show(lambda: display.show_change(paid, change))
            if any(t.kind is TenderKind.CASH for t in done.sale.tenders):
                self.open_drawer(devices.lane, f"cash sale {done.receipt_no}")
        except Exception:  # the sale is complete; the devices must not make it look failed
            log.exception("lane %d: devices after completion failed", devices.lane)

    def no_sale(self, lane: int, reason: str) -> None:
        """Shift listener: a manager-approved no-sale opens the drawer."""
        if lane in self.lanes:
            self.open_drawer(lane, f"no sale: {reason}")

    def return_completed(self, lane: int, result: ReturnResult) -> None:
        """Returns listener: a cash refund opens the drawer (the slip was queued with the return)."""
        if lane in self.lanes and any(t.kind is TenderKind.CASH for t in result.refund.tenders):
            self.open_drawer(lane, f"cash refund {result.refund.return_id}")

    def open_drawer(self, lane: int, reason: str) -> None:
        """Kick the lane's drawer on its worker; a `drawer` event says whether it opened."""
        devices = self.lanes.get(lane)
        printer = None if devices is None else devices.drawer
        if devices is None or printer is None:
            return
        pin = devices.drawer_pin

        def kick() -> None:
            try:
                printer.open_drawer(pin)
            except DeviceError as err:
                self._events.publish(lane, "drawer", {"opened": False, "reason": reason, "error": err.message})
                raise
            self._events.publish(lane, "drawer", {"opened": True, "reason": reason})

        devices.work.submit(kick)


def _ignore(_result: object) -> None:
    """Run a device call for its effect on health only."""


def _worst(*states: str) -> str:
    return max(states, key=lambda s: SEVERITY.get(HealthState(s), 0))
