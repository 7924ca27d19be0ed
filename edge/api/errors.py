"""Domain and node errors become HTTP errors here, with a body a client can show as is."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from edge.errors import AuthError, Forbidden, LedgerError, NodeError, TransactionLost
from pos.errors import Conflict, InvalidInput, NotAllowed, NotFound, PosError

_POS_STATUS: tuple[tuple[type[PosError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (NotAllowed, 403),
    (InvalidInput, 422),
)


def _body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": code, "message": message, **extra}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PosError)
    async def _pos_error(_request: Request, exc: PosError) -> JSONResponse:
        status = next((code for kind, code in _POS_STATUS if isinstance(exc, kind)), 400)
        return JSONResponse(_body(exc.code, exc.message), status_code=status)

    @app.exception_handler(AuthError)
    async def _auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        return JSONResponse(
            _body("unauthorized", exc.message), status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(_request: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse(_body("forbidden", exc.message), status_code=403)

    @app.exception_handler(TransactionLost)
    async def _lost(_request: Request, exc: TransactionLost) -> JSONResponse:
        return JSONResponse(_body("ledger_rolled_back", exc.message), status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(LedgerError)
    async def _ledger_error(_request: Request, exc: LedgerError) -> JSONResponse:
        return JSONResponse(_body("ledger_unavailable", exc.message), status_code=503)

    @app.exception_handler(NodeError)
    async def _node_error(_request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse(_body("node_error", exc.message), status_code=400)

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        if "database is locked" in str(exc.orig):
            return JSONResponse(
                _body("ledger_busy", "the ledger is busy (a long import or backup?): nothing was changed, try again"),
                status_code=503, headers={"Retry-After": "1"},
            )
        raise exc

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error.get("loc", ()))
            problems.append({"field": field, "message": error.get("msg", "invalid")})
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse(_body("invalid_input", message, fields=problems), status_code=422)
