"""Errors that use cases raise for bad input or missing things, each with a stable code.

The web layer maps the kind to an HTTP status (NotFound 404, Conflict 409, Invalid 422,
Unauthorized 401, Forbidden 403) and the CLI to a message and exit code; the code and
message reach the user unchanged.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class Invalid(AppError):
    status = 422


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    status = 403
