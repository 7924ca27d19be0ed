from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge.api import create_app
from edge.bootstrap import Node, build_node
from edge.settings import load_settings
from tests.support.store import write_config


@pytest.fixture
def store_config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "store")


@pytest.fixture
def node(store_config: Path) -> Iterator[Node]:
    built = build_node(load_settings(store_config), init=True)
    yield built
    built.close()


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client
