"""Age-appropriate lists: what a minor may see, judged by certifications.

A viewer is a minor when their date of birth says they are under ADULT_AGE. For them, every list
(trending, lists, discover, genre and person movies, related movies, search, recommendations,
chat) leaves out adult titles and movies certified above their age in their region's system (their
profile's region when reelgraph knows its system, else the US; see reelgraph.certifications). A
movie with no certification in that region is judged by its strictest certification elsewhere; a
movie no certification says anything about is left out (a minor sees only what a rating admits).
Discover asks TMDb for the admitted certifications directly (certification_country with a
certification.gte/.lte range by TMDb's order: no per-movie call), so it shows the movies
certified in the region; where no range says it exactly, each movie is checked as elsewhere. Anonymous viewers, adults and viewers without a date of birth
are not gated, and pay nothing for it: no release dates are read for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reelgraph import certifications
from reelgraph.errors import Forbidden, UpstreamUnavailableError
from reelgraph.integrations.call_budget import UpstreamBudgetExceeded
from reelgraph.loaders import RequestLoaders
from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.services.catalog import ListSource
from reelgraph.services.movie_lists import Item

ADULT_AGE = 18


@dataclass(frozen=True, slots=True)
class AgeGate:
    age: int
    region: str  # the region whose certification system applies

    def admits(self, release_dates: dict[str, object] | None) -> bool:
        judged = certifications.strictest_age(release_dates, self.region)
        return judged is not None and judged <= self.age

    async def keep(self, loaders: RequestLoaders, items: list[Item]) -> list[bool]:
        """One flag per item: people stay; movies pass when adult-free and admitted. Release dates
        are read in one batch for the movies not already refused by their adult flag."""
        movies = [
            int(item["id"])
            for item in items
            if item.get("media_type", "movie") == "movie" and item.get("adult") is not True
        ]
        found = dict(zip(movies, await loaders.release_dates.load_many(movies), strict=True))
        return [
            item.get("media_type", "movie") != "movie"
            or (item.get("adult") is not True and self.admits(found.get(int(item["id"]))))
            for item in items
        ]

    def restrict(self, source: ListSource, bounds: tuple[str, str]) -> ListSource:
        """A discover source that asks TMDb for the admitted certifications only (a range by
        TMDb's order: its `certification.gte` and `.lte`, with `certification_country`)."""
        params = dict(source.args[0])
        params["certification_country"] = self.region
        params["certification.gte"], params["certification.lte"] = bounds
        params["include_adult"] = "false"
        return ListSource(source.kind, (tuple(sorted(params.items())),))

    async def discover_bounds(self, reader: CatalogReader) -> tuple[str, str] | None:
        """The certification range TMDb's discover can filter by for this viewer; None when it
        cannot say exactly (then each movie is checked) or the systems cannot be read."""
        try:
            systems = await reader.certification_systems()
        except (UpstreamUnavailableError, UpstreamBudgetExceeded):
            return None
        return certifications.discover_bounds(systems.get(self.region, []), self.region, self.age)


async def gate_of(loaders: RequestLoaders) -> AgeGate | None:
    """The viewer's gate; None for anonymous viewers, adults and those without a date of birth."""
    audience = await loaders.audience.load()
    if audience is None or audience.date_of_birth is None:
        return None
    age = certifications.years_between(audience.date_of_birth, datetime.now(UTC).date())
    if age >= ADULT_AGE:
        return None
    return AgeGate(age, certifications.system_region(audience.region))


def refuse_adult(gate: AgeGate | None, include_adult: bool) -> None:
    """includeAdult: true is not for minors."""
    if gate is not None and include_adult:
        raise Forbidden("Adult titles are not available for viewers under 18.")


async def admitted(loaders: RequestLoaders, items: list[Item]) -> list[Item]:
    """``items`` without what the viewer's age does not admit (all of them when not gated)."""
    gate = await gate_of(loaders)
    if gate is None or not items:
        return items
    return [item for item, ok in zip(items, await gate.keep(loaders, items), strict=True) if ok]
