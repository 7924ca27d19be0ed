"""The customer's pole display: 2 x 20 characters, Epson ESC/POS display commands over serial.

Shows the last item and the running total while scanning, the total at tender and the change
at the end. A display with a Chinese font (profile code page GB18030) shows Chinese names two
columns per character; one without shows the English name, accents folded (é -> e), and any
other character it cannot show as '?'. Failures raise `DeviceUnavailable`: a caller keeps the
sale going and the display reconnects on the next call.
"""

from __future__ import annotations

import contextlib
import os
import termios
import threading
import unicodedata

import serial

from devices import textwidth
from devices.errors import DeviceUnavailable
from devices.health import DeviceHealth, HealthListener, HealthState, HealthTracker
from devices.profiles import DisplayProfile, python_codec
from pos.money import format_minor
from pos.receipt import Language

INIT = b"\x1b@"
CLEAR = b"\x0c"
CODE_TABLE = {"CP437": 0, "CP850": 2, "CP858": 19, "CP1252": 16}
LABELS = {  # key: (en, zh-CN)
    "total": ("TOTAL", "合计"), "paid": ("PAID", "实收"), "change": ("CHANGE", "找零"),
    "welcome": ("WELCOME", "欢迎光临"), "closed": ("LANE CLOSED", "暂停服务"),
}


def fold_accents(text: str) -> str:
    """Latin letters without their accents and full-width forms as ASCII (é -> e, Ａ -> A)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class PoleDisplay:
    def __init__(
        self,
        device_id: str,
        profile: DisplayProfile,
        port: str,
        *,
        language: Language = Language.ZH,
        currency_exponent: int = 2,
        on_health: HealthListener | None = None,
    ) -> None:
        self.device_id, self.profile, self.port = device_id, profile, port
        self.zh = language is Language.ZH and profile.chinese
        self.exponent = currency_exponent
        self._codec = python_codec(profile.code_page)
        self._serial: serial.Serial | None = None
        self._lock = threading.Lock()
        self._health = HealthTracker(device_id, "display", on_health)

    @property
    def health(self) -> DeviceHealth:
        return self._health.current

    # what the customer sees -------------------------------------------------------------

    def show_item(self, name_en: str, name_zh: str, amount: int, total: int) -> None:
        """The item just scanned with its amount, and the sale's total below."""
        name = (name_zh or name_en) if self.zh else (name_en or name_zh)
        self.show(self._pair(name, self._money(amount)), self._pair(self._t("total"), self._money(total)))

    def show_total(self, total: int) -> None:
        self.show("", self._pair(self._t("total"), self._money(total)))

    def show_change(self, paid: int, change: int) -> None:
        self.show(self._pair(self._t("paid"), self._money(paid)), self._pair(self._t("change"), self._money(change)))

    def show_welcome(self, store_name: str = "") -> None:
        self.show(self._t("welcome"), store_name)

    def clear(self) -> None:
        self.show("", "")

    def show(self, top: str, bottom: str) -> None:
        """Replace the screen with two lines (cut to the display's width)."""
        payload = bytearray(CLEAR)
        for row, text in enumerate((top, bottom)[: self.profile.rows], start=1):
            clean = self._clean(text)
            line = textwidth.truncate(clean, self.profile.columns, self.profile.chinese)
            payload += b"\x1f$\x01" + bytes([row]) + line.encode(self._codec, errors="replace")
        self._write(bytes(payload))

    # plumbing ---------------------------------------------------------------------------

    def _t(self, key: str) -> str:
        en, zh = LABELS[key]
        return zh if self.zh else en

    def _money(self, amount: int) -> str:
        return format_minor(amount, self.exponent)

    def _clean(self, text: str) -> str:
        if not self.profile.chinese:
            text = fold_accents(text)
        return textwidth.printable(text, self._codec, 2 if self.profile.chinese else 1)

    def _pair(self, left: str, right: str) -> str:
        width, wide = self.profile.columns, self.profile.chinese
        left, right = self._clean(left), self._clean(right)
        room = width - textwidth.text_width(right, wide) - 1
        left = textwidth.truncate(left, max(room, 0), wide)
        gap = width - textwidth.text_width(left, wide) - textwidth.text_width(right, wide)
        return left + " " * max(gap, 1 if left else 0) + right

    def _open(self) -> serial.Serial:
        if self._serial is not None:
            return self._serial
        s = self.profile.serial
        port = serial.Serial(
            port=self.port, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
            stopbits=s.stopbits, rtscts=s.rtscts, xonxoff=s.xonxoff, timeout=1.0, write_timeout=2.0,
        )
        setup = INIT + (b"\x1c&" if self.profile.chinese else b"\x1bt" + bytes([CODE_TABLE.get(self.profile.code_page, 0)]))
        port.write(setup)
        self._serial = port
        return port

    def _write(self, data: bytes) -> None:
        with self._lock:
            for attempt in (1, 2):  # a port left over from before a replug fails once; reopen
                try:
                    if not os.path.exists(self.port):
                        raise serial.SerialException(f"{self.port} is not plugged in")
                    port = self._open()
                    port.write(data)
                    port.flush()
                    break
                except (OSError, termios.error, serial.SerialException) as err:
                    self.close()
                    if attempt == 2 or not os.path.exists(self.port):
                        message = f"display {self.device_id} at {self.port}: {err}"
                        self._health.set(HealthState.DISCONNECTED, message)
                        raise DeviceUnavailable(message) from err
            self._health.set(HealthState.OK)

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(OSError, termios.error, serial.SerialException):
                port.close()
