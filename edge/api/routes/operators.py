"""Operator administration (managers only)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from edge.api.deps import CurrentManager, NodeDep
from edge.api.routes.auth import OperatorPublic
from pos.operators import Role

router = APIRouter(prefix="/operators", tags=["operators"])


class OperatorCreate(BaseModel):
    id: str = Field(pattern=r"^[A-Za-z0-9]{1,16}$")
    name: str = Field(min_length=1, max_length=60)
    role: Role
    pin: str = Field(pattern=r"^[0-9]{4,12}$")


class PinReset(BaseModel):
    pin: str = Field(pattern=r"^[0-9]{4,12}$")


class LockRequest(BaseModel):
    minutes: int | None = Field(default=None, ge=1, le=10080, description="omit to lock until a PIN reset")


@router.get("")
def list_operators(_manager: CurrentManager, node: NodeDep) -> list[OperatorPublic]:
    return [OperatorPublic.of(o) for o in node.operators.list()]


@router.post("", status_code=201)
def add_operator(body: OperatorCreate, manager: CurrentManager, node: NodeDep) -> OperatorPublic:
    return OperatorPublic.of(node.operators.add(body.id, body.name, body.role, body.pin))


@router.post("/{operator_id}/reset-pin")
def reset_pin(operator_id: str, body: PinReset, manager: CurrentManager, node: NodeDep) -> OperatorPublic:
    return OperatorPublic.of(node.operators.reset_pin(operator_id, body.pin, by=manager.id))


@router.post("/{operator_id}/lock")
def lock(operator_id: str, body: LockRequest, manager: CurrentManager, node: NodeDep) -> OperatorPublic:
    return OperatorPublic.of(node.operators.lock(operator_id, body.minutes, by=manager.id))
