"""The schema: every entry point of the API, each bound to its function in reelgraph.resolvers.

`Query.x` / `Mutation.x` is function `x` of `resolvers/<domain>.py`; who may call it is declared
here, on the field. `strawberry export-schema reelgraph.schema.root:schema` reads `schema`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.file_uploads import Upload
from strawberry.types import ExecutionContext

from reelgraph.config import Settings
from reelgraph.resolvers import accounts, admin, analytics, catalog, chat, library, recommendations
from reelgraph.resolvers import jobs as job_resolvers
from reelgraph.resolvers import library_export as export_resolvers
from reelgraph.resolvers import library_import as import_resolvers
from reelgraph.schema import ids
from reelgraph.schema.accounts.types import AuthPayload, User, UserConnection, UserPayload
from reelgraph.schema.analytics.types import Analytics, ExportPayload
from reelgraph.schema.catalog.certifications import Certification
from reelgraph.schema.catalog.types import Genre, Movie, MovieConnection, Person, SearchResultConnection
from reelgraph.schema.chat.types import ChatDelta, ChatPayload, ChatSession
from reelgraph.schema.errors import OkPayload
from reelgraph.schema.execution.executor import executor_class_for
from reelgraph.schema.execution.subtree_cache import SubtreeCache
from reelgraph.schema.extensions.cost import CostAnalyzer, QueryCost
from reelgraph.schema.extensions.documents import DocumentCache, ValidatedDocuments
from reelgraph.schema.extensions.errors import (
    CodedErrors,
    ResponseCacheMarker,
    apply_code,
    hide_suggestions,
    mask_unexpected,
)
from reelgraph.schema.extensions.hostile_strings import HostileStrings
from reelgraph.schema.extensions.movie_parts import MovieParts
from reelgraph.schema.extensions.rate_limits import RateLimitExtension
from reelgraph.schema.extensions.shape_limits import ShapeLimits
from reelgraph.schema.extensions.token_budget import TokenBudget
from reelgraph.schema.jobs.types import JobConnection, JobPayload
from reelgraph.schema.library.imports import ImportJob, ImportPayload
from reelgraph.schema.library.types import (
    Interaction,
    InteractionPayload,
    PreferencesPayload,
    RatingPayload,
    Review,
    ReviewPayload,
)
from reelgraph.schema.permissions import IsAdmin, IsAuthenticated
from reelgraph.schema.recommendations.types import Recommendation

ADMIN_ONLY = "ADMIN only."
# Strawberry's Upload, described as the contract describes it.
UPLOAD = strawberry.scalar(
    name="Upload",
    description="A file sent with the GraphQL multipart request specification.",
    serialize=lambda value: value,
    parse_value=lambda value: value,
)


@strawberry.type
class CatalogQuery:
    genres: list[Genre] = strawberry.field(resolver=catalog.genres)
    movie: Movie | None = strawberry.field(
        resolver=catalog.movie, description="Exactly one of tmdbId and imdbId."
    )
    person: Person | None = strawberry.field(resolver=catalog.person)
    trending: MovieConnection = strawberry.field(resolver=catalog.trending)
    movies: MovieConnection = strawberry.field(resolver=catalog.movies)
    discover: MovieConnection = strawberry.field(resolver=catalog.discover)
    recommendations: list[Recommendation] = strawberry.field(
        resolver=recommendations.recommendations,
        permission_classes=[IsAuthenticated],
        description="Requires a signed-in viewer.",
    )
    search: SearchResultConnection = strawberry.field(resolver=catalog.search)
    certifications: list[Certification] = strawberry.field(
        resolver=catalog.certifications,
        description="A region's certification system, youngest audience first.",
    )


@strawberry.type
class AccountQuery:
    viewer: User | None = strawberry.field(
        resolver=accounts.viewer, description="The signed-in user; null when anonymous."
    )
    users: UserConnection = strawberry.field(
        resolver=admin.users, permission_classes=[IsAdmin], description=ADMIN_ONLY
    )


@strawberry.type
class ChatQuery:
    chat_session: ChatSession | None = strawberry.field(resolver=chat.chat_session)


@strawberry.type
class AnalyticsQuery:
    # Before `analytics`: that field's name would hide the resolvers module below it.
    analytics_export: ExportPayload = strawberry.field(
        resolver=analytics.analytics_export,
        permission_classes=[IsAdmin],
        description="ADMIN only: a link to the latest analytics export (CSV and JSON in a zip).",
    )
    analytics: Analytics = strawberry.field(
        resolver=analytics.analytics, permission_classes=[IsAdmin], description=ADMIN_ONLY
    )


@strawberry.type
class JobQuery:
    import_job: ImportJob | None = strawberry.field(
        resolver=import_resolvers.import_job, description="The viewer's own import jobs (admins: any)."
    )
    jobs: JobConnection = strawberry.field(
        resolver=job_resolvers.jobs,
        permission_classes=[IsAdmin],
        description="ADMIN only: background jobs, newest first.",
    )


@strawberry.type
class JobMutation:
    run_job: JobPayload = strawberry.mutation(
        resolver=job_resolvers.run_job,
        permission_classes=[IsAdmin],
        description="ADMIN only: run a background job now.",
    )
    import_library: ImportPayload = strawberry.mutation(
        resolver=import_resolvers.import_library,
        permission_classes=[IsAuthenticated],
        description=(
            "Import ratings, watched movies, watchlist and reviews exported by another service; "
            "runs as a job."
        ),
    )


@strawberry.type
class AccountMutation:
    register: AuthPayload = strawberry.mutation(resolver=accounts.register)
    login: AuthPayload = strawberry.mutation(resolver=accounts.login)
    refresh_token: AuthPayload = strawberry.mutation(
        resolver=accounts.refresh_token, description="Rotates: the old refresh token stops working."
    )
    logout: OkPayload = strawberry.mutation(
        resolver=accounts.logout,
        description="Revokes the given refresh token, or every session of the viewer when allSessions is true.",
    )
    request_password_reset: OkPayload = strawberry.mutation(
        resolver=accounts.request_password_reset, description="Always ok, whether or not the email exists."
    )
    reset_password: OkPayload = strawberry.mutation(resolver=accounts.reset_password)
    change_password: OkPayload = strawberry.mutation(
        resolver=accounts.change_password, permission_classes=[IsAuthenticated]
    )
    update_profile: UserPayload = strawberry.mutation(
        resolver=accounts.update_profile, permission_classes=[IsAuthenticated]
    )
    assign_role: UserPayload = strawberry.mutation(
        resolver=admin.assign_role, permission_classes=[IsAdmin], description=ADMIN_ONLY
    )
    revoke_role: UserPayload = strawberry.mutation(
        resolver=admin.revoke_role, permission_classes=[IsAdmin], description=ADMIN_ONLY
    )
    delete_user: OkPayload = strawberry.mutation(
        resolver=admin.delete_user, permission_classes=[IsAdmin], description=ADMIN_ONLY
    )
    delete_account: OkPayload = strawberry.mutation(
        resolver=accounts.delete_account,
        permission_classes=[IsAuthenticated],
        description="Deletes the viewer's account and all of their data.",
    )


@strawberry.type
class LibraryMutation:
    update_preferences: PreferencesPayload = strawberry.mutation(
        resolver=library.update_preferences, permission_classes=[IsAuthenticated]
    )
    set_interaction: InteractionPayload = strawberry.mutation(
        resolver=library.set_interaction, permission_classes=[IsAuthenticated]
    )
    remove_interaction: InteractionPayload = strawberry.mutation(
        resolver=library.remove_interaction, permission_classes=[IsAuthenticated]
    )
    rate_movie: RatingPayload = strawberry.mutation(
        resolver=library.rate_movie, permission_classes=[IsAuthenticated]
    )
    remove_rating: OkPayload = strawberry.mutation(
        resolver=library.remove_rating, permission_classes=[IsAuthenticated]
    )
    create_review: ReviewPayload = strawberry.mutation(
        resolver=library.create_review, permission_classes=[IsAuthenticated]
    )
    update_review: ReviewPayload = strawberry.mutation(
        resolver=library.update_review, permission_classes=[IsAuthenticated], description="Author only."
    )
    delete_review: OkPayload = strawberry.mutation(
        resolver=library.delete_review,
        permission_classes=[IsAuthenticated],
        description="Author, MODERATOR or ADMIN.",
    )
    track_view: OkPayload = strawberry.mutation(
        resolver=library.track_view,
        description="Signed-in or anonymous; feeds watch history and local trending.",
    )
    export_library: ExportPayload = strawberry.mutation(
        resolver=export_resolvers.export_library,
        permission_classes=[IsAuthenticated],
        description="The viewer's data as a download.",
    )


@strawberry.type
class ChatMutation:
    chat: ChatPayload = strawberry.mutation(
        resolver=chat.chat,
        description=(
            "One turn of the assistant. visibleMovieIds: TMDb ids the client shows now, so that "
            "'the second one' or 'not these' can be resolved."
        ),
    )


@strawberry.type
class CatalogMutation:
    refresh_cache: OkPayload = strawberry.mutation(
        resolver=catalog.refresh_cache,
        permission_classes=[IsAdmin],
        description="ADMIN only: drop cached upstream data (all, or one movie) and re-fetch lazily.",
    )


@strawberry.type
class Subscription:
    chat_stream: AsyncGenerator[ChatDelta, None] = strawberry.subscription(
        resolver=chat.chat_stream, description="Streams one assistant turn as it is produced."
    )


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Errors raised before execution (parse, validation, an extension's hook) skip CodedErrors'
        # post-processing: code them here, and mask what nobody expected rather than leak it.
        # Without introspection (the rule is added then), suggestions must not enumerate the schema.
        rules = execution_context.validation_rules if execution_context else ()
        introspection_off = NoSchemaIntrospectionCustomRule in rules
        for error in errors:
            if introspection_off:
                hide_suggestions(error)
            if not apply_code(error):
                mask_unexpected(error)


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()

    @strawberry.type
    class NodeQuery:
        # Not relay.node(): its GlobalID argument and type lookup turn ids of unknown or non-Node
        # types into errors (INTERNAL_SERVER_ERROR), where the contract answers null.
        node: relay.Node | None = strawberry.field(resolver=ids.node)

    @strawberry.type
    class Query(NodeQuery, AccountQuery, CatalogQuery, ChatQuery, AnalyticsQuery, JobQuery):
        pass

    @strawberry.type
    class Mutation(AccountMutation, LibraryMutation, ChatMutation, CatalogMutation, JobMutation):
        pass

    # Made once: the document cache keys on the rule classes, so rules made anew per request
    # would make every validation a cache miss.
    extra_rules: list[type[ASTValidationRule]] = (
        [] if settings.introspection_enabled else [NoSchemaIntrospectionCustomRule]
    )
    shape = ShapeLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_repeats=settings.max_field_repeats,
    )
    documents = DocumentCache(max_tokens=settings.document_cache_tokens)  # shared by all requests
    cost = CostAnalyzer(max_cost=settings.max_query_cost)  # one per schema: its cache is shared
    # Factories, not instances: Strawberry makes fresh extension objects per request.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        CodedErrors,
        ResponseCacheMarker,
        # The fast count first; graphql-core's exact one for what gets through.
        lambda: TokenBudget(settings.max_tokens, settings.max_query_length),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(extra_rules),  # __typename stays allowed without introspection
        lambda: ValidatedDocuments(documents, shape),
        # on_execute, in this order: refused characters, the cost (CPU only), then the limits (a
        # storage round trip).
        HostileStrings,
        lambda: QueryCost(cost, settings.max_upstream_calls),
        RateLimitExtension,
        MovieParts,
    ]
    # Never longer than the list data the subtrees were completed from is cached.
    subtrees = SubtreeCache(
        settings.subtree_cache_bytes,
        min(settings.cache_ttl_list_seconds, settings.cache_ttl_details_seconds),
    )
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[User, Movie, Person, Genre, Interaction, Review, ChatSession],
        extensions=extensions,
        scalar_overrides={Upload: UPLOAD},
        execution_context_class=executor_class_for(subtrees),
    )


# `strawberry export-schema reelgraph.schema.root:schema` reads this.
schema = build_schema()
