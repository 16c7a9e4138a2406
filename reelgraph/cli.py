"""The `reelgraph` command: serve, migrate, create-user, mock-upstream, export-schema, worker, scheduler."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from reelgraph.config import ConfigError, get_settings
from reelgraph.jobs.cli import add_job_commands
from reelgraph.recommender.cli import add_recs_commands


def _serve(args: argparse.Namespace) -> int:
    from reelgraph.persistence.migrate import upgrade_to_head  # lazy: a command loads only what it runs
    from reelgraph.security import check_settings  # lazy: a command loads only what it runs
    from reelgraph.serving import (  # lazy: a command loads only what it runs
        multi_worker_problems,
        run_workers,
    )

    settings = get_settings()
    problems = multi_worker_problems(settings, args.workers)  # before anything is written
    try:
        if not problems:
            settings.resolved_jwt_secret()  # development: generated once, before any worker reads it
            check_settings(settings)
    except ConfigError as exc:
        problems.append(str(exc))
    for problem in problems:
        print(f"reelgraph: cannot start: {problem}", file=sys.stderr)
    if problems:
        return 2
    if not settings.is_production or args.migrate:
        # Development applies pending migrations itself; production runs `reelgraph migrate` as a deploy step.
        # Here, before any worker starts, so that workers never race to migrate.
        upgrade_to_head(settings.database_url)
    if args.workers > 1:
        return run_workers(settings, args.workers, host=args.host, port=args.port, log_level=args.log_level)
    import uvicorn

    from reelgraph.app import create_app  # lazy: the parent of several workers never loads the app

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
        timeout_keep_alive=settings.keep_alive_seconds,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from reelgraph.persistence.migrate import upgrade_to_head  # lazy: a command loads only what it runs

    upgrade_to_head(get_settings().database_url)
    print("migrations applied")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from reelgraph.errors import UserErrors  # lazy: a command loads only what it runs
    from reelgraph.persistence.migrate import upgrade_to_head  # lazy: a command loads only what it runs
    from reelgraph.services.container import Services  # lazy: a command loads only what it runs

    settings = get_settings()
    upgrade_to_head(settings.database_url)

    async def run() -> int:
        services = await Services.open(settings, catalog=False)
        try:
            session = await services.accounts.register(args.email, args.password, args.name, None)
            assert session.user.id is not None
            for role in args.role or []:
                await services.admin.assign_role(session.user.id, role)
            print(
                f"created user {session.user.id} <{session.user.email}> roles: USER {' '.join(args.role or [])}"
            )
            return 0
        except UserErrors as errors:
            for problem in errors.problems:
                print(f"reelgraph: {problem.code}: {problem.message}", file=sys.stderr)
            return 1
        finally:
            await services.close()

    return asyncio.run(run())


def _mock_upstream(args: argparse.Namespace) -> int:
    # lazy: a command loads only what it runs
    from reelgraph.integrations.mock_upstream import (
        RealApiQuirks,
        run_mock_upstream,
    )  # lazy: a command loads only what it runs

    quirks = RealApiQuirks.named(args.quirk or [], omdb_daily_limit=args.omdb_daily_limit)
    run_mock_upstream(args.host, args.port, args.latency_ms, args.error_rate, args.rate_limit, quirks=quirks)
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from reelgraph.schema.root import schema  # lazy: a command loads only what it runs

    text = schema.as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
    return 0


# RealApiQuirks' names, spelled out so that building the parser imports no mock (a test keeps them equal).
MOCK_QUIRKS = (
    "all",
    "variable-pages",
    "validation-errors",
    "omdb-unknown-ids",
    "provider-offers",
    "unvoted-movies",
)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _analytics_backfill(args: argparse.Namespace) -> int:
    import time

    from reelgraph.persistence.migrate import upgrade_to_head  # lazy: a command loads only what it runs
    from reelgraph.services.container import Services  # lazy: a command loads only what it runs

    settings = get_settings()
    upgrade_to_head(settings.database_url)

    async def run() -> int:
        services = await Services.open(settings, catalog=False)
        try:
            started = time.perf_counter()
            await services.analytics.rebuild_rollups()
            print(f"analytics rollups and movie aggregates rebuilt in {time.perf_counter() - started:.1f} s")
            return 0
        finally:
            await services.close()

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reelgraph", description="GraphQL API for movie discovery.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve GraphQL over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first, even in production")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes on one port (more than 1 needs PostgreSQL and a Redis cache)",
    )
    serve.set_defaults(func=_serve)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(func=_migrate)

    create_user = commands.add_parser("create-user", help="create an account, e.g. the first admin")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--password", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument("--role", action="append", choices=["MODERATOR", "ADMIN"])
    create_user.set_defaults(func=_create_user)

    mock = commands.add_parser("mock-upstream", help="serve the offline TMDb (/3) and OMDb (/omdb) mock")
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--port", type=int, default=9100)
    mock.add_argument("--latency-ms", type=int, default=0)
    mock.add_argument("--error-rate", type=float, default=0.0)
    mock.add_argument("--rate-limit", type=int, default=0, help="requests per second; 0 = unlimited")
    mock.add_argument(
        "--quirk",
        action="append",
        choices=MOCK_QUIRKS,
        help="answer as the real API does (repeatable): 19-21-item pages, 422 bodies, OMDb errors "
        "for unknown ids, ads/free watch offers, movies nobody voted on; 'all' for every one",
    )
    mock.add_argument(
        "--omdb-daily-limit", type=int, default=0, help="OMDb answers 401 after this many requests; 0 = never"
    )
    mock.set_defaults(func=_mock_upstream)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", default="-")
    export.set_defaults(func=_export_schema)

    analytics = commands.add_parser("analytics", help="admin analytics maintenance")
    analytics_commands = analytics.add_subparsers(dest="analytics_command", required=True)
    backfill = analytics_commands.add_parser(
        "backfill",
        help="recompute the analytics rollups and movie aggregates from the raw rows (after a bulk load)",
    )
    backfill.set_defaults(func=_analytics_backfill)

    add_recs_commands(commands)
    add_job_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # JSON lines in production, text in development (REELGRAPH_LOG_FORMAT); request ids in both.
    # lazy: a command loads only what it runs
    from reelgraph.observability import (
        ObservabilityOptions,
        configure_logging,
    )  # lazy: a command loads only what it runs

    configure_logging(
        ObservabilityOptions.from_settings().log_format,
        access_level=getattr(args, "log_level", None),
        uvicorn_access=args.command != "serve",  # `serve` logs reelgraph.access lines instead
    )
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
