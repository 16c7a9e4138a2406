"""Errors every layer may raise, free of GraphQL: the schema layer turns them into responses.

Two kinds, as the contract says:
- ApiError: top-level errors with a stable extensions.code (auth, permissions, limits, outages);
- UserErrors: expected, user-caused failures returned as data in a payload's `errors` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class ApiError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {"code": self.code.value, **extensions}


class Unauthenticated(ApiError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(ApiError):
    code = ErrorCode.FORBIDDEN


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(ApiError):
    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, field: str | None = None, **extensions: Any) -> None:
        if field is not None:
            extensions["field"] = field
        super().__init__(message, **extensions)


class RateLimited(ApiError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


class UpstreamUnavailableError(ApiError):
    code = ErrorCode.UPSTREAM_UNAVAILABLE


@dataclass(frozen=True)
class FieldProblem:
    """One user error: `field` is the path to the input at fault, e.g. ("input", "email")."""

    code: str
    message: str
    field: tuple[str, ...] | None = None


class UserErrors(Exception):
    """Expected failures of a mutation; the transaction around it is rolled back."""

    def __init__(self, *problems: FieldProblem) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = list(problems)

    @classmethod
    def one(cls, code: str, message: str, *field: str) -> UserErrors:
        return cls(FieldProblem(code=code, message=message, field=tuple(field) or None))
