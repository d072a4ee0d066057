"""One error shape for every failure: `{"error": {"code", "message", ...}}`.

Bad input never becomes a 500: validation errors, malformed JSON, unknown paths and
methods all map to 4xx with a machine-readable code. Anything else is a bug: it is
logged once with its plain traceback (no local variables, secrets redacted: kodeord.logs)
and answered 500 `internal_error` without details.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from kodeord import logs
from kodeord.app.errors import AppError

log = structlog.get_logger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def error_response(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **details}}, status)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    body_error = any(tuple(e.get("loc", ()))[:1] == ("body",) for e in errors)
    if body_error and not _is_json(request):
        message = "send the body as JSON with Content-Type: application/json"
        return error_response(415, "unsupported_media_type", message)
    problems = [{"field": _location(e.get("loc", ())), "message": e.get("msg", "")} for e in errors]
    first = problems[0] if problems else {"field": "", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return error_response(422, "validation_error", message, problems=problems)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405
    return response


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc.status, exc.code, exc.message, **exc.details)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # one entry, plain traceback, no locals, redacted (kodeord.logs); uvicorn's second
    # report of the same exception is dropped by the mark
    log.error("unhandled error", method=request.method, path=request.url.path, exc_info=exc)
    logs.mark_logged(exc)
    return error_response(500, "internal_error", "an internal error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(Exception, _unexpected)
