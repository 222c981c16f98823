"""Flask commands: schema, article import, demo content, the embedded Redis."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import IO

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import SQLAlchemyError

from . import MIGRATIONS
from .cms import commands as cms_commands
from .extensions import db, redis_store
from .importer import (
    ArticleRecord,
    Importer,
    ImportReport,
    RecordError,
    bar_steps,
    parse_lines,
    settle,
)
from .models import Article, ArticleStats, Operator
from .related import store as related
from .store import embedded_redis, snapshots, writebehind

BATCH = 200


def import_stream(stream: IO[str], total: int | None = None, quiet: bool = True) -> ImportReport:
    """Import JSONL from ``stream``; good lines are committed in batches."""
    report = ImportReport()
    importer = Importer()
    batch: list[ArticleRecord] = []

    def flush() -> None:
        if not batch:
            return
        try:
            importer.upsert(batch, report)
            db.session.commit()
        except SQLAlchemyError as exc:
            db.session.rollback()
            raise click.ClickException(f"database error while importing: {exc}") from exc
        batch.clear()

    with click.progressbar(
        parse_lines(stream), length=total, label="importing", hidden=quiet, file=None
    ) as lines:
        for number, result in lines:
            if isinstance(result, RecordError):
                report.errors.append((number, str(result)))
            else:
                batch.append(result)
            if len(batch) >= BATCH:
                flush()
        flush()
    settle(
        report.slugs,
        lambda total: bar_steps(
            click.progressbar(length=total, label="related articles", hidden=quiet, file=None)
        ),
    )
    return report


def init_app(app: Flask) -> None:
    app.cli.add_command(simulate_traffic)
    app.cli.add_command(create_operator)
    app.cli.add_command(delete_operator)
    app.cli.add_command(list_operators)
    app.cli.add_command(rebuild_related)
    app.cli.add_command(flush_counters)
    app.cli.add_command(restore_counters)
    app.cli.add_command(init_db)
    app.cli.add_command(import_articles)
    app.cli.add_command(seed_demo)
    app.cli.add_command(embedded_redis_group)
    cms_commands.init_app(app)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (idempotent)."""
    upgrade(directory=MIGRATIONS)
    click.echo("database schema is up to date")


@click.command("import-articles")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_articles(path: Path) -> None:
    """Import articles from a JSONL file (upsert by slug)."""
    started = time.perf_counter()
    with path.open(encoding="utf-8") as fh:
        total = sum(1 for _ in fh)
    with path.open(encoding="utf-8", errors="replace") as fh:
        report = import_stream(fh, total=total, quiet=False)
    elapsed = time.perf_counter() - started
    for number, reason in report.errors:
        click.echo(f"{path}:{number}: {reason}", err=True)
    click.echo(
        f"{report.created} created, {report.updated} updated, "
        f"{len(report.errors)} rejected in {elapsed:.2f}s"
    )
    if report.errors:
        raise click.exceptions.Exit(1)


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only seed when there are no articles yet.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo articles, featured topics and gallery."""
    from .demo import ARTICLES, seed_furniture

    if if_empty and db.session.scalar(sa.select(sa.func.count(Article.id))):
        click.echo("articles exist; demo content not loaded")
        return
    with ARTICLES.open(encoding="utf-8") as fh:
        report = import_stream(fh)
    if report.errors:
        raise click.ClickException(f"demo content is broken: {report.errors}")
    seed_furniture()
    click.echo(f"demo content loaded: {report.created + report.updated} articles")


@click.command("simulate-traffic")
@click.option("--views", default=20_000, show_default=True, help="Page views to simulate.")
@click.option("--days", default=7, show_default=True, help="How far back the traffic goes.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same week).")
@click.option(
    "--offer",
    is_flag=True,
    help="Ask first, once per instance (make run); without a terminal, say how to run it later.",
)
@with_appcontext
def simulate_traffic(views: int, days: int, seed: int, offer: bool) -> None:
    """Fill Redis and the SQL history with a simulated past week of readers (demo)."""
    from .demo.simulate import simulate

    if views < 1 or not 1 <= days <= 30:
        raise click.BadParameter("--views must be positive and --days 1-30")
    if offer and not _accepts_offer():
        return
    started = time.perf_counter()
    estimate = int(views * 1.14)
    with click.progressbar(length=estimate, label="simulating readers") as bar:
        try:
            tally = simulate(views, days, seed, bar.update)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    report = writebehind.flush()
    click.echo(
        f"{tally['view']} views, {tally['ping']} pings, {tally['react']} reactions, "
        f"{tally['bot']} crawler requests "
        f"over {days} days in {time.perf_counter() - started:.1f}s; "
        f"{report.fields} fields flushed to SQL"
    )


def _accepts_offer() -> bool:
    """The demo-traffic question ``make run`` asks once, or why it was not asked."""
    marker = Path(current_app.instance_path) / ".traffic-offered"
    if marker.exists():
        return False
    later = "flask --app wsgi simulate-traffic"
    if not sys.stdin.isatty():
        click.echo(f"No terminal, so no demo traffic was simulated; run it any time with: {later}")
        return False
    marker.touch()
    if click.confirm("Simulate a week of reader traffic for the demo?", default=True):
        return True
    click.echo(f"Skipped; run it any time with: {later}")
    return False


MIN_PASSWORD = 10


def _read_password() -> str:
    """Twice at a terminal; one line from standard input otherwise (scripts)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD} characters")
    return str(password)


@click.command("create-operator")
@click.argument("username")
@with_appcontext
def create_operator(username: str) -> None:
    """Create an operator account, or set a new password for an existing one."""
    from .admin.auth import set_password

    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{2,64}", username):
        raise click.ClickException("a username is 2-64 letters, digits or . _ @ -")
    password = _read_password()
    operator = db.session.scalar(sa.select(Operator).where(Operator.username == username))
    created = operator is None
    if operator is None:
        operator = Operator(username=username)
        db.session.add(operator)
    set_password(operator, password)
    db.session.commit()
    click.echo(f"operator {username} {'created' if created else 'password changed'}")


@click.command("delete-operator")
@click.argument("username")
@with_appcontext
def delete_operator(username: str) -> None:
    """Delete an operator account."""
    operator = db.session.scalar(sa.select(Operator).where(Operator.username == username))
    if operator is None:
        raise click.ClickException(f"no operator {username!r}")
    db.session.delete(operator)
    db.session.commit()
    click.echo(f"operator {username} deleted")


@click.command("list-operators")
@with_appcontext
def list_operators() -> None:
    """List operator accounts and when they last logged in."""
    for operator in db.session.scalars(sa.select(Operator).order_by(Operator.username)):
        last = operator.last_login_at.isoformat() if operator.last_login_at else "never"
        click.echo(f"{operator.username}\tlast login: {last}")


@click.command("rebuild-related")
@with_appcontext
def rebuild_related() -> None:
    """Recompute every article's 相关文章 suggestions from scratch."""
    started = time.perf_counter()
    total = db.session.scalar(sa.select(sa.func.count(Article.id))) or 0
    with click.progressbar(length=total, label="suggesting") as bar:
        done = related.rebuild(progress=bar.update)
    click.echo(f"suggestions for {done} article(s) in {time.perf_counter() - started:.2f}s")


@click.command("flush-counters")
@with_appcontext
def flush_counters() -> None:
    """Write pending counter deltas and reader reactions from Redis into SQL."""
    started = time.perf_counter()
    report = writebehind.flush()
    if report.restored:
        click.echo(f"Redis had lost its data: restored {report.restored} articles from SQL")
    click.echo(
        f"flushed {report.applied} snapshot(s), {report.fields} field(s) "
        f"in {time.perf_counter() - started:.2f}s"
    )
    if report.skipped_articles:
        click.echo(f"ignored counts of {len(report.skipped_articles)} deleted article(s)")


@click.command("restore-counters")
@click.option("--days", default=30, show_default=True, help="Days of daily buckets to rebuild.")
@with_appcontext
def restore_counters(days: int) -> None:
    """Rebuild Redis's counts and reactions from SQL after Redis lost its data."""
    client = redis_store.client
    if snapshots.has_epoch(client):
        click.echo("Redis still holds its data (its epoch marker is present): nothing to restore")
        return
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ArticleStats)) or 0
    with click.progressbar(length=total, label="restoring") as bar:
        restored = writebehind.restore(client, days=days, progress=bar.update)
    click.echo(f"restored {restored} article(s) from SQL")


@click.group("embedded-redis", cls=AppGroup)
def embedded_redis_group() -> None:
    """Manage the embedded Redis server (used when REDIS_URL is unset)."""


@embedded_redis_group.command("status")
def embedded_status() -> None:
    """Print the Redis URL the app uses."""
    click.echo(current_app.config["REDIS_URL"])


@embedded_redis_group.command("stop")
def embedded_stop() -> None:
    """Shut the embedded server down; its data is kept in the instance folder."""
    stopped = embedded_redis.stop(current_app.instance_path)
    click.echo("embedded Redis stopped" if stopped else "embedded Redis was not running")
