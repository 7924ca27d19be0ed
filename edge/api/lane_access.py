"""Which lanes an operator may act on: a cashier only on the lane their token was issued for
(log in at the lane), a manager on any. A shift is closed by its own cashier or a manager."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from edge.api.deps import CurrentOperator, NodeDep
from edge.bootstrap import Node
from edge.errors import Forbidden
from edge.ledger import Ledger
from edge.operators import Operator
from pos.operators import Role

LanePath = Annotated[int, Path(ge=1, le=999)]
SaleIdPath = Annotated[str, Path(min_length=1, max_length=64)]


def check_lane(operator: Operator, token_lane: int | None, lane: int) -> None:
    """Forbidden naming the lane unless the operator may act on it."""
    if operator.role.may(Role.MANAGER):
        return
    if token_lane is None:
        raise Forbidden(f"operator {operator.id} is not logged in at a lane: log in at lane {lane} to act on it")
    if token_lane != lane:
        raise Forbidden(
            f"operator {operator.id} is logged in at lane {token_lane}: lane {lane} is not theirs "
            f"(log in at lane {lane}, or ask a manager)"
        )


def own_lane(request: Request, operator: Operator, lane: int) -> None:
    check_lane(operator, getattr(request.state, "lane", None), lane)


def sale_lane(ledger: Ledger, sale_id: str) -> int | None:
    """The lane an open, suspended or completed sale is on; None for an unknown sale."""
    with ledger.reader.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT lane FROM open_sale WHERE sale_id = ? UNION ALL SELECT lane FROM sale WHERE sale_id = ? LIMIT 1",
            (sale_id, sale_id),
        ).scalar()
    return None if found is None else int(found)


def check_sale_lane(node: Node, request: Request, operator: Operator, sale_id: str) -> None:
    """Forbidden unless the operator may act on the sale's lane (read from the ledger when the
    cart is not in memory; an unknown sale is the command's own 404)."""
    if operator.role.may(Role.MANAGER):
        return
    lane = node.checkout.cached_lane(sale_id)
    if lane is None:
        lane = sale_lane(node.ledger, sale_id)
    if lane is not None:
        own_lane(request, operator, lane)


async def _on_the_sales_lane(sale_id: SaleIdPath, request: Request, operator: CurrentOperator, node: NodeDep) -> Operator:
    """A coroutine: a manager needs no lookup, and a cart this process saved last knows its
    lane in memory; only otherwise is the ledger read, off the event loop."""
    if operator.role.may(Role.MANAGER) or node.checkout.cached_lane(sale_id) is not None:
        check_sale_lane(node, request, operator, sale_id)
    else:
        await run_in_threadpool(check_sale_lane, node, request, operator, sale_id)
    return operator


async def _on_the_lane(lane: LanePath, request: Request, operator: CurrentOperator) -> Operator:
    own_lane(request, operator, lane)
    return operator


SaleOperator = Annotated[Operator, Depends(_on_the_sales_lane)]
LaneOperator = Annotated[Operator, Depends(_on_the_lane)]
ON_OWN_LANE = Depends(_on_the_lane)  # for a router under /lanes/{lane}


def _closes_the_shift(lane: LanePath, operator: LaneOperator, node: NodeDep) -> Operator:
    if not operator.role.may(Role.MANAGER):
        row, _ = node.shifts.current(lane)
        if row.cashier_id != operator.id:
            raise Forbidden(
                f"the shift on lane {lane} is cashier {row.cashier_id}'s: only they or a manager may close it"
            )
    return operator


ShiftCloser = Annotated[Operator, Depends(_closes_the_shift)]
