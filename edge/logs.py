"""Structured logging: JSON lines when `[log] format = "json"`, plain text otherwise."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from pythonjsonlogger.json import JsonFormatter


def configure_logging(fmt: str, level: str, path: Path | None = None) -> None:
    """Log to stderr, or to `path` (when a full-screen app owns the terminal)."""
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if path is None else logging.FileHandler(path)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"asctime": "time", "levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
