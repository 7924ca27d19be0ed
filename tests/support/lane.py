"""A lane driven through the real HTTP API, for checkout tests."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response


def new_id() -> str:
    return str(uuid.uuid4())


class Lane:
    def __init__(self, client: TestClient, headers: dict[str, str], lane: int = 1) -> None:
        self.client, self.headers, self.lane = client, headers, lane
        self.sale_id = ""

    def call(self, method: str, path: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        response: Response = self.client.request(method, f"/api/v1{path}", headers=self.headers, json=body or None)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        data: dict[str, Any] = response.json() if response.content else {}
        return data

    def open_shift(self, float_amount: int = 20000) -> dict[str, Any]:
        return self.call("POST", f"/lanes/{self.lane}/shift", 201, shift_id=new_id(), float_amount=float_amount)

    def open_sale(self) -> dict[str, Any]:
        self.sale_id = new_id()
        return self.call("POST", "/sales", 201, sale_id=self.sale_id, lane=self.lane)

    def add(self, expect: int = 200, **body: Any) -> dict[str, Any]:
        return self.call("POST", f"/sales/{self.sale_id}/items", expect, **body)

    def pay(self, kind: str, amount: int, expect: int = 200, **extra: Any) -> dict[str, Any]:
        return self.call("POST", f"/sales/{self.sale_id}/tenders", expect, tender_id=new_id(), kind=kind,
                         amount=amount, currency=extra.pop("currency", "CNY"), **extra)

    def complete(self, request_id: str | None = None, expect: int = 200) -> dict[str, Any]:
        return self.call("POST", f"/sales/{self.sale_id}/complete", expect, request_id=request_id or new_id())
