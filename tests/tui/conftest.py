"""A REAL node for the lane terminal's tests: the demo store, served by `storenode serve` in its
own process on a free port. No mock of the API: the app talks HTTP to it like a lane does.

One node serves the whole folder; each test takes its own lane (a lane is a till with its own
shift and cart), so tests do not see each other's carts. The restart test starts its own node.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.node import NodeProcess

_lanes = itertools.count(11)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store made once (catalog, operators); tests copy it."""
    from edge.demo import create_demo_store

    directory = tmp_path_factory.mktemp("demo-template")
    create_demo_store(directory)
    return directory


def copy_store(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


@pytest.fixture(scope="session")
def node(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    store = copy_store(demo_template, tmp_path_factory.mktemp("store") / "demo")
    process = NodeProcess(store)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def lane() -> int:
    """A lane no other test uses."""
    return next(_lanes)
