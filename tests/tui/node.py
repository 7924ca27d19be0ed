"""The lane terminal tests' node: a real node process on a store directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.node_process import NodeProcess as BaseNodeProcess


class NodeProcess(BaseNodeProcess):
    """The demo-shaped store directory's node, with a second client to check what it holds."""

    def __init__(self, store: Path, port: int | None = None) -> None:
        super().__init__(store / "store.toml", port)
        self.store = store

    # -- a second client, to check what the node holds --------------------------------------

    def api(self, method: str, path: str, token: str, **body: Any) -> Any:
        response = httpx.request(method, f"{self.url}/api/v1{path}", headers={"authorization": f"Bearer {token}"}, json=body or None, timeout=10)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def token(self, operator_id: str = "101", pin: str = "1357", lane: int | None = None) -> str:
        body = {"operator_id": operator_id, "pin": pin, "lane": lane}
        response = httpx.post(f"{self.url}/api/v1/auth/login", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["token"])
