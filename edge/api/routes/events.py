"""Server-sent events for a lane: `scan`, `sale`, `sale.completed`, `device`, `sync` …"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from edge import fastjson
from edge.api.deps import CurrentOperator, NodeDep

router = APIRouter(tags=["events"])


@router.get("/lanes/{lane}/events", response_class=StreamingResponse)
async def lane_events(lane: Annotated[int, Path(ge=1, le=999)], _operator: CurrentOperator, node: NodeDep) -> StreamingResponse:
    """An endless text/event-stream; a comment line every 15 s keeps proxies and clients awake."""

    async def stream() -> AsyncIterator[str]:
        async for event in node.events.subscribe(lane):
            if event is None:
                yield ": ping\n\n"
                continue
            if isinstance(event.data, fastjson.Rendered):  # a cart, rendered once for its save and answer
                payload = event.data.text()
            else:
                payload = fastjson.dumps_text({"lane": event.lane, **event.data}, lenient=True)
            yield f"id: {event.id}\nevent: {event.kind}\ndata: {payload}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
