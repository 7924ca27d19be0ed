"""A retail scale speaking Mettler Toledo MT-SICS over serial (see docs/devices.md for why).

Commands end in CR LF; answers start with the command's name and a status:
  S   -> "S S     1.234 kg" stable | "S I" no stable weight in time | "S +" overload | "S -" underload
  SI  -> "S S ..." or "S D ..." (dynamic: still moving)
  Z   -> "Z A" zeroed | "Z I" not now (moving) | "Z +" / "Z -" out of the zero range
  T   -> "T S   0.150 kg" tare taken | "T I" | "T +" | "T -";  TA (tare value), TAC (clear tare)
  I4  -> 'I4 A "serial number"';  ES / ET / EL: syntax, transmission, logical error
Only a stable, positive net weight within the scale's range (profile min_g..capacity_g) is
given to a sale (`weigh_for_sale`), checked by the same rule as the rest of `pos`.
"""

from __future__ import annotations

import contextlib
import os
import termios
import threading
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import serial

from devices.errors import (
    DeviceUnavailable,
    ScaleError,
    ScaleMotion,
    ScaleOverload,
    ScaleUnderload,
    WeightRejected,
)
from devices.health import DeviceHealth, HealthListener, HealthState, HealthTracker
from devices.profiles import ScaleProfile
from pos.errors import InvalidInput
from pos.weighed import ScaleReading, weight_from_scale

UNIT_GRAMS = {"g": Decimal(1), "kg": Decimal(1000)}
ERRORS = {"ES": "syntax error (command not understood)", "ET": "transmission error",
          "EL": "logical error (command not allowed now)"}


@dataclass(frozen=True, slots=True)
class WeightReading:
    grams: int  # net weight, rounded half up to the gram
    stable: bool
    raw: str  # the scale's answer, for the record


def parse_weight(answer: str) -> WeightReading:
    """Parse an S/SI answer; ScaleMotion, ScaleOverload, ScaleUnderload or ScaleError otherwise."""
    parts = answer.split()
    if len(parts) >= 2 and parts[0] == "S":
        status = parts[1]
        if status == "+":
            raise ScaleOverload("the scale is overloaded: take the item off")
        if status == "-":
            raise ScaleUnderload("the scale is below zero: clear the platter and zero it")
        if status == "I":
            raise ScaleMotion("the weight did not settle: keep the item still")
        if status in ("S", "D") and len(parts) == 4 and parts[3] in UNIT_GRAMS:
            try:
                value = Decimal(parts[2]) * UNIT_GRAMS[parts[3]]
            except InvalidOperation:
                raise ScaleError(f"the scale sent an unreadable weight {answer!r}") from None
            grams = int(value.to_integral_value(rounding=ROUND_HALF_UP))
            return WeightReading(grams, status == "S", answer)
        if status in ("S", "D") and len(parts) == 4:
            raise ScaleError(f"the scale weighs in {parts[3]!r}; set it to g or kg")
    if parts and parts[0] in ERRORS:
        raise ScaleError(f"the scale answered {ERRORS[parts[0]]}")
    raise ScaleError(f"the scale sent an unexpected answer {answer!r}")


class Scale:
    """One lane scale: `weigh_for_sale()`, `read()`, `zero()`, `tare()`, `clear_tare()`, `probe()`."""

    def __init__(self, device_id: str, profile: ScaleProfile, port: str, *,
                 on_health: HealthListener | None = None) -> None:
        self.device_id, self.profile, self.port = device_id, profile, port
        self._serial: serial.Serial | None = None
        self._lock = threading.Lock()
        self._health = HealthTracker(device_id, "scale", on_health)

    @property
    def health(self) -> DeviceHealth:
        return self._health.current

    def read(self, *, wait_for_stable: bool = True) -> WeightReading:
        """The net weight: `S` waits for a stable one, `SI` answers at once (maybe moving)."""
        answer = self.command("S" if wait_for_stable else "SI")
        try:
            reading = parse_weight(answer)
        except (ScaleOverload, ScaleUnderload) as err:
            self._health.set(HealthState.FAULT, f"scale {self.device_id}: {err.message}")
            raise
        except ScaleError as err:
            if not isinstance(err, ScaleMotion):
                self._health.set(HealthState.FAULT, f"scale {self.device_id}: {err.message}")
            raise
        self._health.set(HealthState.OK)
        return reading

    def weigh_for_sale(self) -> ScaleReading:
        """A weight a sale may use: stable, positive, between the profile's min_g and capacity_g."""
        reading = self.read(wait_for_stable=True)
        candidate = ScaleReading(reading.grams, reading.stable, self.device_id)
        try:
            weight_from_scale(candidate, min_grams=self.profile.min_g, max_grams=self.profile.capacity_g)
        except InvalidInput as err:
            raise WeightRejected(err.message) from err
        return candidate

    def zero(self) -> None:
        self._expect(self.command("Z"), "Z", "zero")

    def tare(self) -> int:
        """Take what lies on the platter as tare; its weight in grams."""
        answer = self.command("T")
        self._expect(answer, "T", "tare")
        return parse_weight("S S " + answer.split(maxsplit=2)[2]).grams

    def clear_tare(self) -> None:
        self._expect(self.command("TAC"), "TAC", "clear the tare")

    def probe(self) -> str:
        """The scale's serial number (I4): proves a scale answers on this port."""
        answer = self.command("I4")
        if not answer.startswith("I4 A"):
            raise ScaleError(f"scale {self.device_id} did not identify itself: {answer!r}")
        return answer[4:].strip().strip('"')

    def _expect(self, answer: str, name: str, what: str) -> None:
        parts = answer.split()
        if len(parts) >= 2 and parts[0] == name and parts[1] in ("A", "S"):
            return
        status = parts[1] if len(parts) >= 2 and parts[0] == name else ""
        reason = {"I": "the scale is moving or busy: keep the platter still",
                  "+": "above the range it allows", "-": "below the range it allows"}.get(status)
        if reason is None:
            reason = ERRORS.get(parts[0] if parts else "", f"unexpected answer {answer!r}")
        raise ScaleError(f"scale {self.device_id} cannot {what}: {reason}")

    def command(self, command: str) -> str:
        """Send one MT-SICS command, return its one-line answer; DeviceUnavailable if none."""
        with self._lock:
            try:
                if not os.path.exists(self.port):
                    raise serial.SerialException(f"{self.port} is not plugged in")
                port = self._open()
                port.reset_input_buffer()  # a late answer to an earlier command is stale
                port.write(command.encode("ascii") + b"\r\n")
                answer = self._readline(port, time.monotonic() + self.profile.timeout_s)
            except (OSError, termios.error, serial.SerialException) as err:
                self.close()
                message = f"scale {self.device_id} at {self.port}: {err}"
                self._health.set(HealthState.DISCONNECTED, message)
                raise DeviceUnavailable(message) from err
            if answer is None:
                message = f"scale {self.device_id} did not answer {command!r} within {self.profile.timeout_s} s"
                self._health.set(HealthState.DISCONNECTED, message)
                raise DeviceUnavailable(message)
            return answer

    def _readline(self, port: serial.Serial, deadline: float) -> str | None:
        buffer = b""
        while time.monotonic() < deadline:
            port.timeout = max(0.01, min(0.2, deadline - time.monotonic()))
            chunk: bytes = port.read(max(1, port.in_waiting))
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                text = line.decode("ascii", errors="replace").strip()
                if text:
                    return text
            if len(buffer) > 256:
                buffer = b""  # noise without line ends
        return None

    def _open(self) -> serial.Serial:
        if self._serial is None:
            s = self.profile.serial
            self._serial = serial.Serial(
                port=self.port, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits, rtscts=s.rtscts, xonxoff=s.xonxoff, timeout=0.2, write_timeout=2.0,
            )
        return self._serial

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(OSError, termios.error, serial.SerialException):
                port.close()
