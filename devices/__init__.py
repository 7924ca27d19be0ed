"""Lane device drivers behind small Protocols: scanners, printers, drawer, scale, display."""
