"""Log in with operator id + PIN for an expiring bearer token; log out; who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from edge.api.deps import CurrentOperator, NodeDep
from edge.operators import Operator
from pos.operators import Role

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    operator_id: str = Field(min_length=1, max_length=16)
    pin: str = Field(min_length=1, max_length=12)
    lane: int | None = Field(default=None, ge=1, le=999)


class OperatorPublic(BaseModel):
    id: str
    name: str
    role: Role

    @classmethod
    def of(cls, operator: Operator) -> OperatorPublic:
        return cls(id=operator.id, name=operator.name, role=operator.role)


class LoginResponse(BaseModel):
    token: str
    expires_at: datetime
    operator: OperatorPublic
    lane: int | None


@router.post("/login")
def login(body: LoginRequest, node: NodeDep) -> LoginResponse:
    result = node.operators.login(body.operator_id, body.pin, body.lane)
    return LoginResponse(
        token=result.token, expires_at=result.expires_at, operator=OperatorPublic.of(result.operator), lane=result.lane
    )


@router.post("/logout", status_code=204)
def logout(
    _operator: CurrentOperator,
    node: NodeDep,
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(HTTPBearer())],
) -> None:
    node.operators.logout(credentials.credentials)


@router.get("/me")
def me(operator: CurrentOperator) -> OperatorPublic:
    return OperatorPublic.of(operator)
