"""Errors as data: the UserError type of payloads, and the decorator that fills them.

A mutation's resolver raises UserErrors (from a service) and `@user_errors(XPayload)` turns them
into `XPayload(errors=[...])`; top-level errors are coded by reelgraph.schema.extensions.errors.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry

from reelgraph.errors import FieldProblem, UserErrorCode, UserErrors

_CODES = ", ".join(code.value for code in UserErrorCode)


@strawberry.type(description="An expected, user-caused failure of a mutation.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "email"]; null when not field-specific.'
    )
    message: str
    code: str = strawberry.field(description=f"One of: {_CODES}.")

    @classmethod
    def from_problem(cls, problem: FieldProblem) -> UserError:
        return cls(
            field=list(problem.field) if problem.field else None,
            message=problem.message,
            code=str(problem.code),
        )

    @classmethod
    def from_errors(cls, errors: UserErrors) -> list[UserError]:
        return [cls.from_problem(problem) for problem in errors.problems]


P = ParamSpec("P")
R = TypeVar("R")


def user_errors(
    payload: Callable[..., Any],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Returns `payload(errors=[...])` when the resolver raises UserErrors (nothing was written)."""

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def resolve(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await resolver(*args, **kwargs)
            except UserErrors as errors:
                result: R = payload(errors=UserError.from_errors(errors))
                return result

        return resolve

    return decorate


@strawberry.type
class OkPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
