"""PersonCredit and its connection: one role of a person in a movie (Person.credits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from reelgraph.schema.pagination import encode_cursor
from reelgraph.services.person_credits import CreditPage

if TYPE_CHECKING:
    from reelgraph.schema.catalog.types import Movie

TYPES = "reelgraph.schema.catalog.types"
CURSOR_KIND = "person-credit"


@strawberry.type
class PersonCredit:
    movie: Annotated[Movie, strawberry.lazy(TYPES)]
    character: str | None = strawberry.field(description="The role played; null for crew credits.")
    job: str | None = strawberry.field(description="The crew job (Director, Screenplay...); null for cast.")
    department: str = strawberry.field(description='"Acting" for cast, else the crew department.')
    year: int | None = strawberry.field(description="The movie's release year; null when undated.")


@strawberry.type
class PersonCreditEdge:
    cursor: str
    node: PersonCredit


@strawberry.type
class PersonCreditConnection:
    edges: list[PersonCreditEdge]
    nodes: list[PersonCredit]
    page_info: relay.PageInfo
    total_count: int | None = strawberry.field(
        description="Credits in the department asked for that the viewer may see (hidden movies left out)."
    )

    @classmethod
    def of_page(
        cls,
        page: CreditPage,
        movie_of: Callable[[dict[str, Any]], Movie],
        has_previous: bool,
        owner: object,
    ) -> PersonCreditConnection:
        """`owner` (the person and the department filter) is what cursors are bound to."""
        edges = [
            PersonCreditEdge(
                cursor=encode_cursor(CURSOR_KIND, credit.position, owner),
                node=PersonCredit(
                    movie=movie_of(credit.movie),
                    character=credit.character,
                    job=credit.job,
                    department=credit.department,
                    year=credit.year,
                ),
            )
            for credit in page.credits
        ]
        return cls(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total_count,
        )
