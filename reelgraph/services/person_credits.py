"""A person's credits (cast and crew, one per role) newest first, filtered by department and paged.

Built from the person's details (TMDb's `movie_credits`, appended to every person read), so paging
costs no upstream call. Credits are movies only: Person.credits returns `Movie`s, which a TV credit
(TMDb's `combined_credits`) is not.

A position is an index into the whole ordered list of the person's credits in that department,
before the viewer's filters: a movie hidden between two pages shifts nothing, so no credit is served
twice or skipped. What the viewer does not see is left out exactly as Person.movies leaves it out
by default (hidden movies, adult titles, and for a minor what their age does not admit: the age
gate inside browse.hidden_filter), and not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelgraph.loaders import RequestLoaders
from reelgraph.services.browse import hidden_filter, not_adult
from reelgraph.services.movie_lists import Item
from reelgraph.tmdb_payloads import genre_dicts

# TMDb's department of every cast credit (its crew credits name their own).
ACTING = "Acting"


@dataclass(frozen=True, slots=True)
class Credit:
    movie: Item  # a TMDb movie list item, with genre names
    character: str | None
    job: str | None
    department: str
    year: int | None
    position: int  # where the next page starts after this credit


@dataclass(frozen=True, slots=True)
class CreditPage:
    credits: list[Credit]
    has_next_page: bool
    total_count: int


def _release(item: Item) -> str:
    date = str(item.get("release_date") or "")
    year = date[:4]
    return date if len(year) == 4 and year.isascii() and year.isdigit() else ""


def _text(value: Any) -> str | None:
    return (str(value).strip() or None) if value is not None else None


# (movie, character, job, department)
Role = tuple[Item, str | None, str | None, str]


def ordered_credits(details: dict[str, Any]) -> list[Role]:
    """(movie, character, job, department) for every role, newest release first, undated last
    (most popular first among them); a movie's roles keep TMDb's order (cast before crew)."""
    credits = details.get("movie_credits") or {}
    roles: list[Role] = [
        (item, _text(item.get("character")), None, ACTING) for item in credits.get("cast", [])
    ]
    roles += [
        (item, None, _text(item.get("job")), str(item.get("department") or ""))
        for item in credits.get("crew", [])
    ]
    dated = [role for role in roles if _release(role[0])]
    undated = [role for role in roles if not _release(role[0])]
    # Stable sorts: equal keys keep TMDb's order. Same day: by movie id, so pages never reshuffle.
    dated.sort(key=lambda role: int(role[0]["id"]))
    dated.sort(key=lambda role: _release(role[0]), reverse=True)
    undated.sort(key=lambda role: (-(role[0].get("popularity") or 0), int(role[0]["id"])))
    return dated + undated


async def credits_page(
    loaders: RequestLoaders,
    details: dict[str, Any],
    department: str | None,
    first: int,
    position: int,
    language: str,
) -> CreditPage:
    """`first` credits from `position` on, in `department` ("Acting" is the cast; any case) or all."""
    wanted = department.casefold() if department is not None else None
    roles = [role for role in ordered_credits(details) if wanted is None or role[3].casefold() == wanted]
    items = [role[0] for role in roles]
    visible = await not_adult(items)
    hide = await hidden_filter(loaders, include_hidden=False)
    if hide is not None:
        visible = [shown and kept for shown, kept in zip(visible, await hide(items), strict=True)]
    names = await loaders.genre_names.load(language)
    page: list[Credit] = []
    has_next = False
    for index in range(position, len(roles)):
        if not visible[index]:
            continue
        if len(page) == first:
            has_next = True
            break
        item, character, job, role_department = roles[index]
        release = _release(item)
        page.append(
            Credit(
                movie={**item, "genres": genre_dicts(item.get("genre_ids", []), names)},
                character=character,
                job=job,
                department=role_department,
                year=int(release[:4]) if release else None,
                position=index + 1,
            )
        )
    return CreditPage(page, has_next, sum(visible))
