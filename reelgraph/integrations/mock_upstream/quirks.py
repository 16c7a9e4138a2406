"""What the real TMDb and OMDb do that the plain mock does not: each behaviour an option, all off.

The contract test (tests/test_upstream_contract.py) switches them on and checks the bodies against
captured real ones; ``reelgraph mock-upstream --quirk NAME`` serves them. Off by default so the
offline app stays predictable (20-item pages, every lookup answered).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

# Movies the mock says nobody voted on (``vote_count`` 0, ``vote_average`` 0): ids ending in 7.
UNVOTED_ID_MODULUS = 10
UNVOTED_ID_REMAINDER = 7


@dataclass(frozen=True, slots=True)
class RealApiQuirks:
    """Real-API behaviours the mock can reproduce.

    - ``variable_pages``: TMDb list pages of 19-21 items (sizes cycle 21, 20, 19, 20 from page 1),
      every item on exactly one page;
    - ``validation_errors``: HTTP 422 ``{"errors": [...]}`` for page 0 or over 500 and for a search
      without ``query`` (instead of the 400 ``status_message`` body);
    - ``omdb_unknown_ids``: a well-formed unknown IMDb id answers HTTP 200 ``Response: "False"`` with
      "Error getting data." (even id numbers) or "Movie not found!" (odd ones), not "Incorrect IMDb ID.";
    - ``omdb_daily_limit``: after that many OMDb requests, HTTP 401 "Request limit reached!" (0 = off);
    - ``provider_offers``: every movie has watch providers in US, FR and ES, the US ones with ``ads``
      and ``free`` offers besides ``flatrate``, ``rent`` and ``buy``;
    - ``unvoted_movies``: movies whose id ends in 7 have ``vote_count`` 0 and ``vote_average`` 0
      (what TMDb sends for a movie nobody rated; filters and sorts still see the catalog's counts).
    """

    variable_pages: bool = False
    validation_errors: bool = False
    omdb_unknown_ids: bool = False
    omdb_daily_limit: int = 0
    provider_offers: bool = False
    unvoted_movies: bool = False

    def __post_init__(self) -> None:
        if self.omdb_daily_limit < 0:
            raise ValueError("omdb_daily_limit must be >= 0")

    @classmethod
    def every(cls, omdb_daily_limit: int = 0) -> RealApiQuirks:
        """Every on/off behaviour on; the OMDb quota only if given (it ends every lookup)."""
        return cls(**dict.fromkeys(TOGGLES, True), omdb_daily_limit=omdb_daily_limit)

    @classmethod
    def named(cls, names: list[str], omdb_daily_limit: int = 0) -> RealApiQuirks:
        """From CLI names ("variable-pages", ...; "all" for every one)."""
        if "all" in names:
            return cls.every(omdb_daily_limit)
        unknown = sorted(set(names) - set(TOGGLES_BY_NAME))
        if unknown:
            raise ValueError(f"unknown quirk(s): {', '.join(unknown)}")
        return cls(**{TOGGLES_BY_NAME[n]: True for n in names}, omdb_daily_limit=omdb_daily_limit)

    def unvoted(self, movie_id: int) -> bool:
        return self.unvoted_movies and movie_id % UNVOTED_ID_MODULUS == UNVOTED_ID_REMAINDER


TOGGLES = tuple(f.name for f in fields(RealApiQuirks) if f.type in (bool, "bool"))
TOGGLES_BY_NAME = {name.replace("_", "-"): name for name in TOGGLES}
NO_QUIRKS = RealApiQuirks()
