"""graphql-core's executor, reusing a movie's completed viewer-independent fields.

A list of 50 movies costs graphql-core 50 completions of the same selection. A movie's catalog
fields (CATALOG_FIELDS) are pure functions of what its Movie object carries and the image base,
so their completed result is kept under a key made of exactly that: the selection (fields,
aliases, argument values after variables, @include/@skip applied), the movie's catalog values
(MovieKey, which includes its id and language) and the image base. A movie seen before skips
completion of those fields; the others (viewer*, ratings, reviews, details, OMDb scores, lists
hiding the viewer's movies) run as always, and the two are merged in the document's order.

Only a completion without errors under the movie is stored, so what is served is what the
uncached path answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationType,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from reelgraph.loaders.library import EMPTY_LIBRARY, ViewerLibrary
from reelgraph.schema.catalog.types import Genre, Movie
from reelgraph.schema.execution.subtree_cache import SubtreeCache

# Movie fields that read only the attributes MovieKey holds (and the image base); nothing that
# depends on the viewer, the request, this server's users or data loaded later (details, OMDb).
CATALOG_FIELDS: dict[str, frozenset[str]] = {
    "Movie": frozenset(
        {
            "__typename",
            "id",
            "tmdbId",
            "title",
            "originalTitle",
            "originalLanguage",
            "overview",
            "releaseDate",
            "year",
            "popularity",
            "voteAverage",
            "voteCount",
            "posterUrl",
            "backdropUrl",
            "genres",
        }
    ),
    # Reached through Movie.genres; Genre.movies hides the viewer's movies, so it is not here.
    "Genre": frozenset({"__typename", "id", "tmdbId", "name"}),
}
ROOT_TYPE = "Movie"
# Movie's viewer fields, completed (enum names, floats) from the request's library once it is
# read: a request without a token has the empty one ("empty when anonymous"), a signed-in one the
# library its viewer resolution prefetched. They then run no resolver (nothing is stored; with
# the subtree cache off the resolvers answer, and tests/test_subtree_cache.py compares the two).
# Until the library is read (a bad token, a mutation that just changed it) the resolvers run.
VIEWER_ANSWERS: dict[str, Callable[[ViewerLibrary, int], Any]] = {
    "viewerInteractions": lambda library, movie_id: list(library.kinds_of(movie_id)),
    "viewerRating": lambda library, movie_id: _float_or_none(library.ratings.get(movie_id)),
}
# Mutations whose success makes stored subtrees pointless (keys carry the data, so they are
# never wrong; this only frees them).
CLEARING_MUTATIONS = frozenset({"refreshCache"})

_UNCACHEABLE = object()  # a plan: nothing of this selection can be stored


def movie_key(movie: Movie) -> tuple[Any, ...]:
    """Every value a CATALOG_FIELDS field of `movie` can read."""
    return (
        movie.tmdb_id,
        movie._language,
        movie.title,
        movie.original_title,
        movie.original_language,
        movie.overview,
        movie.release_date,
        movie.year,
        movie.popularity,
        movie.vote_average,
        movie.vote_count,
        movie._poster_path,
        movie._backdrop_path,
        tuple((genre.tmdb_id, genre.name, genre._language) for genre in movie.genres)
        if all(type(genre) is Genre for genre in movie.genres)
        else None,
    )


class _Plan:
    """How one collected selection of Movie splits into stored, answered and executed fields."""

    __slots__ = ("answered_rest", "cached", "number", "order", "rest", "signature", "viewer")

    def __init__(
        self,
        signature: Hashable,
        cached: dict[str, FieldDetailsList],
        rest: dict[str, FieldDetailsList],
        viewer: dict[str, Callable[[ViewerLibrary, int], Any]],
        order: tuple[str, ...],
    ) -> None:
        self.signature = signature
        self.number: int | None = None
        self.cached = cached
        self.rest = rest  # executed when the library is not read yet (viewer fields included)
        self.answered_rest = {name: details for name, details in rest.items() if name not in viewer}
        self.viewer = viewer  # response name -> its answer from the library
        self.order = order

    def merge(
        self, stored: dict[str, Any], answered: dict[str, Any] | None, executed: dict[str, Any] | None
    ) -> dict[str, Any]:
        if answered:
            stored = {**stored, **answered}
        if not executed:
            return {name: stored[name] for name in self.order}
        return {name: stored[name] if name in stored else executed[name] for name in self.order}


class SubtreeCachingExecutor(StrawberryGraphQLCoreExecutionContext):
    subtree_cache: SubtreeCache  # set by executor_class_for

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[object, _Plan | object]] = {}
        self._image_base: str | None = None
        self._tokenless: bool | None = None  # the request has no token (read once)

    # -- the hook: graphql-core calls this for every object value it completes --

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if (
            return_type.name != ROOT_TYPE
            or type(result) is not Movie
            or position_context is not None  # inside @defer: graphql-core's own bookkeeping
            or not self.subtree_cache.enabled
        ):
            return super().collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )
        plan = self._plan(return_type, field_details_list)
        if not isinstance(plan, _Plan):
            return super().collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )
        if plan.number is None:  # numbered once per request: the cache may have started afresh
            plan.number = self.subtree_cache.selection((plan.signature, self._image()))
        key = (plan.number, movie_key(result))
        stored = self.subtree_cache.get(key)
        if stored is None:
            return self._complete_and_store(
                return_type, field_details_list, path, result, position_context, plan, key
            )
        to_execute = plan.rest
        answered: dict[str, Any] | None = None
        if plan.viewer:
            library = self._library()
            if library is not None:
                movie_id = result.tmdb_id
                answered = {name: answer(library, movie_id) for name, answer in plan.viewer.items()}
                to_execute = plan.answered_rest
        if not to_execute:
            return plan.merge(stored, answered, None)
        rest: Any = self.execute_fields(return_type, result, path, to_execute, None)
        if self.is_awaitable(rest):
            return self._merge_later(plan, stored, answered, rest)
        return plan.merge(stored, answered, rest)

    # -- a movie not seen before: graphql-core's own path, then keep what it may --

    def _complete_and_store(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Movie,
        position_context: Any,
        plan: _Plan,
        key: Hashable,
    ) -> Any:
        errors_before = len(self.collected_errors.errors)
        completed: Any = super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )
        if self.is_awaitable(completed):

            async def store_later() -> dict[str, Any]:
                value: dict[str, Any] = await completed
                self._store(plan, key, path, value, errors_before)
                return value

            return store_later()
        self._store(plan, key, path, completed, errors_before)
        return completed

    def _store(
        self, plan: _Plan, key: Hashable, path: Path, value: dict[str, Any], errors_before: int
    ) -> None:
        if self._errors_under(path, errors_before):
            return
        self.subtree_cache.put(key, {name: value[name] for name in plan.cached})

    def _errors_under(self, path: Path, since: int) -> bool:
        prefix = path.as_list()
        depth = len(prefix)
        errors: list[GraphQLError] = self.collected_errors.errors
        return any(error.path is not None and list(error.path[:depth]) == prefix for error in errors[since:])

    async def _merge_later(
        self,
        plan: _Plan,
        stored: dict[str, Any],
        answered: dict[str, Any] | None,
        rest: Awaitable[dict[str, Any]],
    ) -> dict[str, Any]:
        return plan.merge(stored, answered, await rest)

    # -- which fields of a selection are stored, and the selection's signature --

    def _plan(self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> _Plan | object:
        memo = self._plans.get(id(field_details_list))
        if memo is not None and memo[0] is field_details_list:
            return memo[1]
        plan = self._make_plan(return_type, field_details_list)
        self._plans[id(field_details_list)] = (field_details_list, plan)  # keeps the id alive
        return plan

    def _make_plan(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> _Plan | object:
        grouped, defer_usages, _ = self.collect_subfields(return_type, field_details_list)
        if defer_usages:
            return _UNCACHEABLE
        cached: dict[str, FieldDetailsList] = {}
        rest: dict[str, FieldDetailsList] = {}
        viewer: dict[str, Callable[[ViewerLibrary, int], Any]] = {}
        parts: list[Hashable] = []
        for name, details in grouped.items():
            part = self._signature(return_type, details)
            field_name = details[0].node.name.value
            if part is not None:
                cached[name] = details
                parts.append((name, part))
                continue
            if field_name in VIEWER_ANSWERS and not details[0].node.arguments:
                viewer[name] = VIEWER_ANSWERS[field_name]
            rest[name] = details
        if not cached:
            return _UNCACHEABLE
        return _Plan((return_type.name, tuple(parts)), cached, rest, viewer, tuple(grouped))

    def _library(self) -> ViewerLibrary | None:
        """The request's library when known without waiting (what the viewer resolvers read):
        empty without a token, the library once read; None before that (a bad token included:
        its resolvers refuse it)."""
        context = self.context_value
        if self._tokenless is None:
            authorization = getattr(context, "authorization", None)
            self._tokenless = authorization is not None and authorization() is None
        if self._tokenless:
            return EMPTY_LIBRARY
        loaders = getattr(context, "loaders", None)
        ready: ViewerLibrary | None = getattr(getattr(loaders, "library", None), "ready", None)
        return ready

    def _signature(self, parent: GraphQLObjectType, details: FieldDetailsList) -> Hashable | None:
        """A hashable description of one field's selection, or None when it must be executed."""
        first = details[0]
        field_name = first.node.name.value
        if field_name not in CATALOG_FIELDS.get(parent.name, ()):
            return None
        if any(detail.defer_usage is not None for detail in details):
            return None
        field_def = self.schema.get_field(parent, field_name)
        if field_def is None:
            return None
        arguments: Hashable = ()
        if field_def.args or first.node.arguments:
            values = get_argument_values(
                field_def,
                first.node,
                self.variable_values,
                first.fragment_variable_values,
                self.hide_suggestions,
            )
            arguments = tuple(sorted(values.items()))
            try:
                hash(arguments)
            except TypeError:
                return None
        named = _named(field_def.type)
        if isinstance(named, GraphQLLeafType):
            return (field_name, arguments)
        if not isinstance(named, GraphQLObjectType):
            return None
        grouped, defer_usages, _ = self.collect_subfields(named, details)
        if defer_usages:
            return None
        parts: list[Hashable] = []
        for name, sub_details in grouped.items():
            part = self._signature(named, sub_details)
            if part is None:
                return None
            parts.append((name, part))
        return (field_name, arguments, tuple(parts))

    def _image(self) -> str | None:
        if self._image_base is None:
            services = getattr(self.context_value, "services", None)
            reader = getattr(services, "reader", None)
            self._image_base = str(getattr(reader, "image_base", ""))
        return self._image_base

    # -- a refreshCache frees what is stored --

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        result = super().execute_operation(*args, **kwargs)
        if self.operation.operation != OperationType.MUTATION or not any(
            isinstance(selection, FieldNode) and selection.name.value in CLEARING_MUTATIONS
            for selection in self.operation.selection_set.selections
        ):
            return result
        if not self.is_awaitable(result):
            self.subtree_cache.clear()
            return result

        async def clear_after() -> Any:
            executed = await result
            self.subtree_cache.clear()
            return executed

        return clear_after()


def _float_or_none(value: float | None) -> float | None:
    return None if value is None else float(value)  # what Float's serializer answers


def _named(type_: GraphQLOutputType) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def executor_class_for(cache: SubtreeCache) -> type[SubtreeCachingExecutor]:
    """An executor class bound to one schema's cache (Strawberry instantiates it per operation)."""
    return type("SubtreeCachingExecutor", (SubtreeCachingExecutor,), {"subtree_cache": cache})
