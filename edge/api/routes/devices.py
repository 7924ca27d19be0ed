"""Lane devices and the print queue: health per lane, a lane's print jobs, reprint and redirect."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from edge.api.deps import CurrentOperator, NodeDep
from edge.lane_config import PRINTER_ID

router = APIRouter(tags=["devices"])
Lane = Annotated[int, Path(ge=1, le=999)]
JobId = Annotated[int, Path(ge=1)]


class Reprint(BaseModel):
    printer: str | None = Field(default=None, pattern=PRINTER_ID, description="default: the job's own printer")


class Redirect(BaseModel):
    printer: str = Field(pattern=PRINTER_ID, description="a printer id from the store config")


OptionalReprint = Annotated[Reprint | None, Body()]


@router.get("/devices")
def devices(_operator: CurrentOperator, node: NodeDep) -> list[dict[str, Any]]:
    """Each lane's devices with their health, and each printer's queue."""
    return node.lanes.health()


@router.get("/lanes/{lane}/print-jobs")
def print_jobs(lane: Lane, _operator: CurrentOperator, node: NodeDep,
               limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    """The lane's print jobs, newest first."""
    return node.print_queue.jobs(lane, limit)


@router.post("/print-jobs/{job_id}/reprint", status_code=201)
def reprint(job_id: JobId, _operator: CurrentOperator, node: NodeDep, body: OptionalReprint = None) -> dict[str, Any]:
    """Print a job again as a new job marked REPRINT."""
    return node.print_queue.reprint(job_id, None if body is None else body.printer)


@router.post("/print-jobs/{job_id}/redirect")
def redirect(job_id: JobId, body: Redirect, _operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    """Move a job that has not printed to another printer."""
    return node.print_queue.redirect(job_id, body.printer)


@router.post("/receipts/{receipt_no}/reprint", status_code=201)
def reprint_receipt(receipt_no: Annotated[str, Path(min_length=1, max_length=40)], _operator: CurrentOperator,
                    node: NodeDep, body: OptionalReprint = None) -> dict[str, Any]:
    """A copy of a sale's receipt, marked REPRINT."""
    return node.print_queue.reprint_receipt(receipt_no, None if body is None else body.printer)
