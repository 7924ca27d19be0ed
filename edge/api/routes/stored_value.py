"""Vouchers and gift cards (manager only): issue one with a balance, top up a gift card, read a balance."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from edge import stored_value
from edge.api.deps import CurrentManager, NodeDep
from edge.stored_value import StoredValue
from pos.tender import TenderKind

router = APIRouter(prefix="/stored-value", tags=["stored value"])
Code = Annotated[str, Path(min_length=1, max_length=40)]


class Issue(BaseModel):
    request_id: UUID = Field(description="client-made id: a retried issue finds the first card")
    code: str = Field(min_length=1, max_length=40, description="the number printed on the voucher or card")
    kind: TenderKind = Field(description="voucher or gift_card")
    balance: int = Field(gt=0, le=stored_value.MAX_BALANCE, description="minor units")


class TopUp(BaseModel):
    request_id: UUID = Field(description="client-made id: a retried top-up loads the value once")
    amount: int = Field(gt=0, le=stored_value.MAX_BALANCE, description="minor units")


def _view(card: StoredValue) -> dict[str, Any]:
    return {"code": card.code, "kind": card.kind.value, "balance": card.balance, "updated_at": card.updated_at.isoformat()}


@router.post("", status_code=201)
def issue(body: Issue, manager: CurrentManager, node: NodeDep) -> dict[str, Any]:
    card = stored_value.issue(
        node.ledger, body.code, body.kind, body.balance, manager_id=manager.id, request_id=str(body.request_id)
    )
    return _view(card)


@router.post("/{code}/top-up")
def top_up(code: Code, body: TopUp, manager: CurrentManager, node: NodeDep) -> dict[str, Any]:
    return _view(stored_value.top_up(node.ledger, code, body.amount, manager_id=manager.id, request_id=str(body.request_id)))


@router.get("/{code}")
def balance(code: Code, _manager: CurrentManager, node: NodeDep) -> dict[str, Any]:
    return _view(stored_value.balance(node.ledger, code))
