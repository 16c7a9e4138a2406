"""Error bodies of the mock apps, in TMDb's and OMDb's real shapes."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


class TmdbError(Exception):
    """Raised by TMDb handlers; rendered as TMDb's ``{status_code, status_message, success}``."""

    def __init__(self, http_status: int, status_code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code
        self.message = message

    def response(self) -> JSONResponse:
        return tmdb_error_response(self.http_status, self.status_code, self.message)


def tmdb_error_response(
    http_status: int, status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"status_code": status_code, "status_message": message, "success": False}
    return JSONResponse(body, status_code=http_status, headers=headers)


class TmdbValidationError(TmdbError):
    """TMDb's HTTP 422 for bad parameters: ``{"errors": [...]}``, no ``status_message``."""

    def __init__(self, *errors: str) -> None:
        super().__init__(422, 0, "; ".join(errors))
        self.errors = errors

    def response(self) -> JSONResponse:
        return JSONResponse({"errors": list(self.errors)}, status_code=self.http_status)


def omdb_error_response(
    message: str, http_status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"Response": "False", "Error": message}, status_code=http_status, headers=headers)


# Factories, not shared instances: a raised exception keeps its traceback, so reuse would leak frames.
def not_found() -> TmdbError:
    return TmdbError(404, 34, "The resource you requested could not be found.")


def invalid_page() -> TmdbError:
    return TmdbError(400, 22, "Invalid page: Pages start at 1 and max at 500.")


def invalid_page_value(page: int) -> TmdbValidationError:
    """The 422 flavour TMDb answers for an out-of-range page."""
    if page < 1:
        return TmdbValidationError("page must be greater than 0")
    return TmdbValidationError("page must be less than or equal to 500")


def missing_query() -> TmdbValidationError:
    return TmdbValidationError("query must be provided")


def invalid_key() -> TmdbError:
    return TmdbError(401, 7, "Invalid API key: You must be granted a valid key.")
