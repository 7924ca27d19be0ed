"""JSONRoute: plain dict/list results rendered by orjson; anything a model filters keeps FastAPI's path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from edge.api.routing import JSONRoute


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    amount: int


class Public(BaseModel):
    id: str


def _client() -> TestClient:
    router = APIRouter(route_class=JSONRoute)

    @router.post("/view", status_code=201)
    def view() -> dict[str, Any]:
        return {"lines": [Line("S1", 300)], "at": dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)}

    @router.get("/public")
    def public() -> Public:
        return {"id": "1", "pin_hash": "secret"}  # type: ignore[return-value]  # the model must filter it

    @router.delete("/gone", status_code=204)
    def gone() -> None:
        return None

    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_a_plain_dict_route_renders_dataclasses_and_keeps_its_status_code() -> None:
    response = _client().post("/view")
    assert response.status_code == 201 and response.headers["content-type"] == "application/json"
    assert response.json() == {"lines": [{"sku": "S1", "amount": 300}], "at": "2026-11-23T08:00:00Z"}


def test_a_route_with_a_model_is_still_filtered_by_it() -> None:
    assert _client().get("/public").json() == {"id": "1"}


def test_a_204_route_sends_no_body() -> None:
    response = _client().delete("/gone")
    assert response.status_code == 204 and response.content == b""
