from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.profiles import ProfileCatalog
from devices.sim_printer import VirtualPrinter


@pytest.fixture(scope="session")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load()


@pytest.fixture
def tcp_printer() -> Iterator[VirtualPrinter]:
    """A network receipt printer on a free loopback port that records and decodes jobs."""
    printer = VirtualPrinter().start()
    yield printer
    printer.stop()


@pytest.fixture
def dev_dir(tmp_path: Path) -> Path:
    """Where the virtual devices' stable links live (like /dev/serial/by-id)."""
    path = tmp_path / "by-id"
    path.mkdir()
    return path
