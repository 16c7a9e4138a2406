"""Coding and masking of top-level errors, and the marker that lets successful queries be cached."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from reelgraph.errors import ApiError, ErrorCode
from reelgraph.observability.context import current_request_id

log = logging.getLogger("reelgraph.errors")

MASKED_MESSAGE = "Internal server error."
# graphql-core appends its suggestions last: " Did you mean 'a', 'b', or 'c'?"
_SUGGESTIONS = re.compile(r" Did you mean .*\?$", re.DOTALL)


def _is_masked(error: GraphQLError) -> bool:
    return error.message == MASKED_MESSAGE and (error.extensions or {}).get("code") == (
        ErrorCode.INTERNAL_SERVER_ERROR.value
    )


def _code_for(error: GraphQLError) -> str | None:
    """The code an error already deserves, or None when it is unexpected (and must be masked)."""
    original = error.original_error
    # Schema.process_errors and CodedErrors both see most errors: the first one masked and logged it.
    if _is_masked(error):
        return ErrorCode.INTERNAL_SERVER_ERROR.value
    if isinstance(original, ApiError):
        return original.code.value
    if original is None:
        # No Python exception behind it: graphql-core's own parse, validation or coercion errors.
        if error.extensions and "code" in error.extensions:
            return str(error.extensions["code"])
        if error.message.startswith("Syntax Error"):
            return ErrorCode.GRAPHQL_PARSE_FAILED.value
        if error.path is None:
            return ErrorCode.GRAPHQL_VALIDATION_FAILED.value
        return ErrorCode.BAD_USER_INPUT.value
    if isinstance(original, GraphQLError):  # e.g. a permission class's error with its extensions
        return _code_for(original)
    return None


def mask_unexpected(error: GraphQLError) -> None:
    """Logs an unexpected error (once, with its traceback and the request id) and rewrites it in
    place as a bare INTERNAL_SERVER_ERROR."""
    # The log formatters add the request id too; on the record, every handler has it.
    log.error(
        "unexpected error at %s",
        error.path,
        exc_info=error.original_error or error,
        extra={"request_id": current_request_id()},
    )
    error.message = MASKED_MESSAGE
    error.extensions = {"code": ErrorCode.INTERNAL_SERVER_ERROR.value}


def hide_suggestions(error: GraphQLError) -> None:
    """Drops graphql-core's "Did you mean ...?" from its own messages: with introspection off, the
    suggestions would still spell out the schema's fields, arguments, types and enum values."""
    if not isinstance(error.original_error, ApiError):  # ours never suggest; graphql-core's may
        error.message = _SUGGESTIONS.sub("", error.message)


class CodedErrors(MaskErrors):
    """Gives every top-level error an extensions.code; masks and logs unexpected exceptions.

    Unlike a bare MaskErrors(), permission, limit and validation errors keep their messages.
    """

    def __init__(self) -> None:
        super().__init__(error_message=MASKED_MESSAGE)

    def on_operation(self) -> Iterator[None]:
        # MaskErrors only looks at execution results; parse and validation failures come back as
        # PreExecutionError, which must be coded too.
        self._stream_result_processed = False
        yield
        if self._stream_result_processed:
            return
        result = self.execution_context.result
        self._process_result(getattr(result, "initial_result", None) or result)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        for error in errors:
            if not apply_code(error):
                mask_unexpected(error)
        return errors


class ResponseCacheMarker(SchemaExtension):
    """Marks successful queries (never mutations or failures) as safe to cache whole."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if (
            hasattr(context, "cacheable_response")
            and self.execution_context.operation_type == OperationType.QUERY
            and result is not None
            and not getattr(result, "errors", None)
        ):
            context.cacheable_response = True


def apply_code(error: GraphQLError) -> bool:
    """Sets extensions.code on an expected error; False when the error is unexpected."""
    code = _code_for(error)
    if code is None:
        return False
    extensions = dict(error.extensions or {})
    if isinstance(error.original_error, ApiError):
        extensions.update(error.original_error.extensions)
    extensions["code"] = code
    error.extensions = extensions
    return True
