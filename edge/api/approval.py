"""Manager approval for a cashier's request: the manager's id + PIN in the body, or a manager's own session."""

from __future__ import annotations

from pydantic import BaseModel, Field

from edge.bootstrap import Node
from edge.operators import Operator
from pos.operators import Role


class Approval(BaseModel):
    manager_id: str = Field(min_length=1, max_length=16)
    pin: str = Field(min_length=1, max_length=12)


def approving_manager(node: Node, operator: Operator, approval: Approval | None) -> str | None:
    """The id of the manager approving this request, if any (AuthError on a bad PIN)."""
    if approval is not None:
        return node.operators.verify_pin(approval.manager_id, approval.pin, Role.MANAGER).id
    if operator.role is Role.MANAGER:
        return operator.id
    return None
