"""One hierarchy for device failures; each message names the device and what a person can do.

Library errors (pyserial, python-escpos, sockets, pyusb) are re-raised as these `from err`,
so callers in `edge/` catch `DeviceError` and never a driver library's own exceptions.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every failure raised by `devices`."""

    code = "device_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProfileError(DeviceError):
    """A device profile is malformed: names the file, the key and the reason."""

    code = "bad_profile"

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"{file}: {key}: {reason}")
        self.file = file
        self.key = key
        self.reason = reason


class UnknownModel(DeviceError):
    """A store config names a device model that no profile describes."""

    code = "unknown_model"


class ConnectionStringError(DeviceError):
    """A device address (`tcp://host:9100`, `serial:///dev/ttyUSB0?baud=19200`) is malformed."""

    code = "bad_connection"


class DeviceUnavailable(DeviceError):
    """The device cannot be reached: unplugged, powered off, refused or timed out."""

    code = "device_unavailable"


class PrinterFault(DeviceError):
    """The printer answered but cannot print: paper out, cover open, cutter error."""

    code = "printer_fault"


class ScaleError(DeviceError):
    """The scale answered with something other than a usable weight."""

    code = "scale_error"


class ScaleMotion(ScaleError):
    code = "scale_motion"


class ScaleOverload(ScaleError):
    code = "scale_overload"


class ScaleUnderload(ScaleError):
    code = "scale_underload"


class WeightRejected(ScaleError):
    """A stable reading that may not be sold: not positive, below the minimum, above capacity."""

    code = "weight_rejected"
