"""The node's HTTP API as the lane sees it: one async httpx client, errors a cashier can act on.

Every failure becomes a `NodeClientError`: `NodeUnreachable` when no answer came (the request may
or may not have reached the node: `maybe_applied` says which), `NeedsManager` for a 403 that an
approval would lift, `SessionExpired` for a 401, and `NodeRefused` for any other 4xx/5xx with the
node's own message.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from edge.collector import ACTIVITY

API = "/api/v1"
REQUEST_TIMEOUT = httpx.Timeout(6.0, connect=2.0)
# the node sends a comment every 15 s: a stream quiet for longer than this is dead
STREAM_TIMEOUT = httpx.Timeout(5.0, read=40.0)

Json = dict[str, Any]


def new_id() -> str:
    """A client-made id for a request that creates something (retries find the first result)."""
    return str(uuid.uuid4())


class NodeClientError(Exception):
    """Base of every error the lane's client raises; `message` is fit to show a cashier."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NodeUnreachable(NodeClientError):
    """No answer: connection refused, reset, or timed out."""

    def __init__(self, message: str, *, maybe_applied: bool) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied  # the request was sent: the node may have done it


class NodeRefused(NodeClientError):
    """The node answered 4xx/5xx; `code` and `fields` are from its error body."""

    def __init__(self, status: int, code: str, message: str, fields: list[Json] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.fields = status, code, fields or []


class NeedsManager(NodeRefused):
    """403 not_allowed: the same request with a manager's approval would pass."""


class SessionExpired(NodeRefused):
    """401: the token is unknown or expired, or an approval PIN was wrong."""


@dataclass(frozen=True)
class Approval:
    manager_id: str
    pin: str

    def as_json(self) -> Json:
        return {"manager_id": self.manager_id, "pin": self.pin}


@dataclass(frozen=True)
class ServerEvent:
    """One server-sent event from the lane's stream."""

    kind: str
    data: Json = field(default_factory=dict)
    id: str = ""


def _refusal(response: httpx.Response) -> NodeRefused:
    try:
        body = response.json()
    except ValueError:
        body = None
    fields: list[Json] | None = None
    if isinstance(body, dict) and "message" in body:
        code, message, fields = str(body.get("error", "")), str(body["message"]), body.get("fields")
    else:
        code = "server_error" if response.status_code >= 500 else "http_error"
        message = f"the node answered {response.status_code} {response.reason_phrase}".strip()
    if response.status_code == 403 and code == "not_allowed":
        return NeedsManager(403, code, message, fields)
    if response.status_code == 401:
        return SessionExpired(401, code, message, fields)
    return NodeRefused(response.status_code, code, message, fields)


def parse_sse(lines: list[str]) -> ServerEvent | None:
    """One event from its lines (`event:`, `data:`, `id:`); None for a comment-only block."""
    kind, data, event_id = "message", [], ""
    for line in lines:
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            kind = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value
    if not data:
        return None
    try:
        payload = orjson.loads("\n".join(data))  # a cart event on a long sale: orjson parses it several times faster
    except orjson.JSONDecodeError:
        payload = {"text": "\n".join(data)}
    return ServerEvent(kind, payload if isinstance(payload, dict) else {"value": payload}, event_id)


class NodeClient:
    """The lane's view of the node's API; log in first, then every call carries the token."""

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT, transport=transport)
        self.token = ""

    async def aclose(self) -> None:
        await self._http.aclose()

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(self, method: str, path: str, body: Json | None = None, **params: Any) -> Any:
        """The JSON answer to one call; raises a NodeClientError subclass on anything else."""
        ACTIVITY.begin()  # no full collection while the lane waits on the node (edge.collector)
        try:
            response = await self._http.request(
                method, API + path, json=body, params=params or None, headers=self._headers()
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
            raise NodeUnreachable(f"node {self.base_url} not answering ({type(err).__name__})", maybe_applied=False) from err
        except httpx.TransportError as err:
            raise NodeUnreachable(f"node {self.base_url} stopped answering ({type(err).__name__})", maybe_applied=True) from err
        finally:
            ACTIVITY.end()
        if response.status_code >= 400:
            raise _refusal(response)
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as err:
            raise NodeRefused(response.status_code, "bad_json", f"the node answered what is not JSON: {err}", None) from err

    async def healthy(self) -> bool:
        """True when the node answers /healthz at all (even degraded: it can still say why)."""
        try:
            response = await self._http.get("/healthz", timeout=2.0)
        except httpx.TransportError:
            return False
        return response.status_code in (200, 503)

    async def events(self, lane: int) -> AsyncIterator[ServerEvent]:
        """The lane's events as they come; ends (or raises NodeUnreachable) when the stream drops."""
        try:
            async with self._http.stream(
                "GET", f"{API}/lanes/{lane}/events", headers=self._headers(), timeout=STREAM_TIMEOUT
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _refusal(response)
                yield ServerEvent("open")
                block: list[str] = []
                async for line in response.aiter_lines():
                    if line:
                        block.append(line)
                        continue
                    event = parse_sse(block)
                    block = []
                    if event is not None:
                        yield event
        except httpx.TransportError as err:
            raise NodeUnreachable(f"event stream lost ({type(err).__name__})", maybe_applied=False) from err

    # -- the calls a lane makes ------------------------------------------------------------

    async def login(self, operator_id: str, pin: str, lane: int) -> Json:
        answer: Json = await self.request("POST", "/auth/login", {"operator_id": operator_id, "pin": pin, "lane": lane})
        self.token = answer["token"]
        return answer

    async def logout(self) -> None:
        if self.token:
            await self.request("POST", "/auth/logout")
            self.token = ""

    async def shift(self, lane: int) -> Json | None:
        """The lane's open shift, or None when none is open."""
        try:
            answer: Json = await self.request("GET", f"/lanes/{lane}/shift")
        except NodeRefused as err:
            if err.status == 409:
                return None
            raise
        return answer

    async def open_shift(self, lane: int, shift_id: str, float_amount: int) -> Json:
        answer: Json = await self.request("POST", f"/lanes/{lane}/shift", {"shift_id": shift_id, "float_amount": float_amount})
        return answer

    async def lane_sale(self, lane: int) -> Json | None:
        answer: Json | None = await self.request("GET", f"/lanes/{lane}/sale")
        return answer

    async def open_sale(self, lane: int, sale_id: str) -> Json:
        answer: Json = await self.request("POST", "/sales", {"sale_id": sale_id, "lane": lane})
        return answer

    async def add_item(
        self, sale_id: str, *, code: str | None = None, sku: str | None = None, quantity: int = 1, request_id: str | None = None
    ) -> Json:
        """Add a scan; a resend with the same `request_id` adds nothing twice."""
        body: Json = {"quantity": quantity, **({"code": code} if code is not None else {"sku": sku})}
        if request_id is not None:
            body["request_id"] = request_id
        answer: Json = await self.request("POST", f"/sales/{sale_id}/items", body)
        return answer

    async def sale_call(self, method: str, path: str, body: Json | None = None, approval: Approval | None = None) -> Json:
        """A call on a sale that answers the sale; `approval` rides along in the body."""
        if approval is not None:
            body = {**(body or {}), "approval": approval.as_json()}
        answer: Json = await self.request(method, path, body)
        return answer

    async def search(self, query: str, limit: int = 20) -> list[Json]:
        answer: list[Json] = await self.request("GET", "/catalog/search", q=query, limit=limit)
        return answer
