"""Errors every layer may raise, free of GraphQL: the schema layer turns them into responses.

Two kinds, as the contract says:

    ApiError                   a top-level error with a stable extensions.code (ErrorCode)
      Unauthenticated, Forbidden, NotFound, BadUserInput, RateLimited, UpstreamUnavailableError
    UserErrors                 expected, user-caused failures of a mutation, returned as data in
                               its payload's `errors` list, each a FieldProblem (UserErrorCode)
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


class UserErrorCode(StrEnum):
    """Every code a payload's `errors[].code` can carry (the wire type stays String!)."""

    ALREADY_SEEN = "ALREADY_SEEN"
    CONFLICTING_GENRES = "CONFLICTING_GENRES"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    EMPTY_REVIEW = "EMPTY_REVIEW"
    GENRE_NOT_FOUND = "GENRE_NOT_FOUND"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_DATE_OF_BIRTH = "INVALID_DATE_OF_BIRTH"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_LOCALE = "INVALID_LOCALE"
    INVALID_NAME = "INVALID_NAME"
    INVALID_RATING = "INVALID_RATING"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    INVALID_REGION = "INVALID_REGION"
    INVALID_RESET_TOKEN = "INVALID_RESET_TOKEN"
    JOB_ALREADY_RUNNING = "JOB_ALREADY_RUNNING"
    JOB_NOT_FOUND = "JOB_NOT_FOUND"
    LAST_ADMIN = "LAST_ADMIN"
    MESSAGE_TOO_LONG = "MESSAGE_TOO_LONG"
    MOVIE_NOT_FOUND = "MOVIE_NOT_FOUND"
    NAME_TOO_LONG = "NAME_TOO_LONG"
    PERSON_NOT_FOUND = "PERSON_NOT_FOUND"
    RATING_NOT_FOUND = "RATING_NOT_FOUND"
    REFRESH_TOKEN_REQUIRED = "REFRESH_TOKEN_REQUIRED"
    REVIEW_EXISTS = "REVIEW_EXISTS"
    REVIEW_NOT_FOUND = "REVIEW_NOT_FOUND"
    REVIEW_TOO_LONG = "REVIEW_TOO_LONG"
    ROLE_REQUIRED = "ROLE_REQUIRED"
    SAME_PASSWORD = "SAME_PASSWORD"
    TOO_MANY = "TOO_MANY"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    WEAK_PASSWORD = "WEAK_PASSWORD"


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

    code: UserErrorCode
    message: str
    field: tuple[str, ...] | None = None


class UserErrors(Exception):
    """Expected failures of a mutation; the transaction around it is rolled back."""

    def __init__(self, *problems: FieldProblem) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = list(problems)

    @classmethod
    def one(cls, code: UserErrorCode, message: str, *field: str) -> UserErrors:
        return cls(FieldProblem(code=code, message=message, field=tuple(field) or None))
