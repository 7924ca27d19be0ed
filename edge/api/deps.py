"""Request dependencies as Annotated aliases: the node, the current operator, a read connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from edge.bootstrap import Node
from edge.errors import AuthError, Forbidden
from edge.operators import Operator
from pos.operators import Role

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/login")

# The cheap dependencies are coroutines: a sync one costs a worker-thread hop per request.
# (A token seen in the last few seconds is checked in memory; otherwise one indexed read.)


async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


async def current_operator(
    node: NodeDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Operator:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token: log in at POST /api/v1/auth/login")
    operator, lane = node.operators.authenticate(credentials.credentials)
    request.state.operator_id = operator.id
    request.state.lane = lane
    return operator


CurrentOperator = Annotated[Operator, Depends(current_operator)]


async def current_manager(operator: CurrentOperator) -> Operator:
    if not operator.role.may(Role.MANAGER):
        raise Forbidden(f"operator {operator.id} is a {operator.role.value}: this needs a manager")
    return operator


CurrentManager = Annotated[Operator, Depends(current_manager)]


def read_connection(node: NodeDep) -> Iterator[Connection]:
    with node.ledger.reader.connect() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(read_connection)]
