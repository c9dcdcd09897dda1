"""`flask forum ...`: the forum's commands, registered by `init_app` so a host app has them too."""

from __future__ import annotations

import json
import sys
import tomllib
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from forum import migrate
from forum.auth import display_name
from forum.db import get_session
from forum.errors import ForumError
from forum.exporting import debate_import
from forum.flask_internals import user_loader
from forum.models import Role
from forum.plurals import plural
from forum.routing import MAX_ID
from forum.services import (
    accounts,
    article_storage,
    backup,
    discussions,
    exports,
    imports,
    members,
    revisions,
    seeding,
    tokens,
)
from forum.settings import content_limits

# An id as the database keeps it: anything past it names nothing and would not fit the column.
AN_ID = click.IntRange(0, MAX_ID)
# The scorer's seed is kept with its run, in an integer column; numpy takes no negative seed.
SEED = click.IntRange(0, MAX_ID)

forum_cli = AppGroup("forum", help="Manage the debate forum.")
db_cli = AppGroup("db", help="The forum's database schema.")
forum_cli.add_command(db_cli)

ROLE_CHOICE = click.Choice([role.value for role in Role])
LONG_ARTICLE_BLOCKS = 200


def fail(error: ForumError) -> None:
    """Report a domain error on stderr and exit non-zero."""
    raise click.ClickException(error.message)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the forum's tables."""
    migrate.upgrade(revision)
    click.echo(f"The forum's schema is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Take the forum's tables down to REVISION ('base' removes them all)."""
    migrate.downgrade(revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the revision of the forum's schema."""
    migrate.current()


def read_password() -> str:
    """One line from stdin when piped; a hidden, confirmed prompt at a terminal."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@forum_cli.command("create-user")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, default=Role.MEMBER.value, show_default=True)
def create_user(name: str, role: str) -> None:
    """Create a site account NAME; the password is read from stdin."""
    if "forum_accounts" not in current_app.extensions:
        raise click.ClickException(
            "This app signs users in itself; give its users roles with 'flask forum set-role'."
        )
    session = get_session()
    try:
        account = accounts.register(
            session,
            name,
            read_password(),
            role=Role(role),
            min_length=current_app.config["FORUM_PASSWORD_MIN_LENGTH"],
        )
    except ForumError as error:
        fail(error)
    session.commit()
    click.echo(f"Created {account.username} (user id {account.id}) as {role}.")


@forum_cli.command("set-role")
@click.argument("user_id")
@click.argument("role", type=ROLE_CHOICE)
def set_role(user_id: str, role: str) -> None:
    """Give the user USER_ID (the host's user id) the forum role ROLE."""
    session = get_session()
    try:
        name = host_user_name(user_id)
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    member = members.set_role(session, user_id, Role(role), name=name)
    session.commit()
    click.echo(f"{member.name} (user id {member.user_id}) is now {member.role}.")


def host_user_name(user_id: str) -> str | None:
    """The display name of the host's user `user_id`: `FORUM_LOAD_USER`, else Flask-Login's user loader."""
    manager = getattr(current_app, "login_manager", None)
    # Without a loader, the name comes at first sign-in.
    loader = current_app.config["FORUM_LOAD_USER"] or user_loader(manager)
    if loader is None:
        return None
    user = loader(user_id)
    if user is None:
        raise LookupError(f"This app has no user with the id {user_id!r}.")
    return display_name(user)


@forum_cli.command("remove-member")
@click.argument("name_or_id")
def remove_member(name_or_id: str) -> None:
    """Remove a member (account name or user id): votes taken back, tokens revoked; they may still read."""
    session = get_session()
    try:
        member = members.find_member(session, name_or_id)
    except ForumError as error:
        fail(error)
    votes = members.remove_member(session, member)
    session.commit()
    click.echo(f"Removed {member.name} (user id {member.user_id}); {plural(votes, 'vote')} taken back.")


@forum_cli.command("create-token")
@click.argument("name_or_id")
@click.option("--label", default="cli", show_default=True, help="A note to tell tokens apart.")
def create_token(name_or_id: str, label: str) -> None:
    """Print a new API token for the member NAME_OR_ID (account name or user id)."""
    session = get_session()
    try:
        member = members.find_member(session, name_or_id)
        _, secret = tokens.issue_token(session, member, label=label)  # none for a removed member
    except ForumError as error:
        fail(error)
    session.commit()
    click.echo(secret)


@forum_cli.command("import")
@click.argument("path_or_url")
@click.option("--format", "format_", type=click.Choice(["text", "markdown", "html"]), help="Else guessed.")
@click.option("--title", help="Use this title instead of the one found in the article.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--revises", type=AN_ID, help="Import it as the next revision of this article.")
def import_command(
    path_or_url: str, format_: str | None, title: str | None, as_json: bool, revises: int | None
) -> None:
    """Import an article from a file (text, Markdown, HTML) or an http(s) URL, or a revision of one."""
    is_url = path_or_url.lower().startswith(("http://", "https://"))
    data = None
    if not is_url:
        try:
            data = Path(path_or_url).read_bytes()
        except OSError as error:
            raise click.ClickException(f"Cannot read {path_or_url}: {error.strerror}.") from None
    session = get_session()
    try:
        parsed = imports.parse_source(
            data=data,
            url=path_or_url if is_url else None,
            format=format_,
            title=title,
            filename=None if is_url else path_or_url,
            **imports.import_limits(current_app.config),
        )
        if revises is not None:
            report = revisions.revise_article(
                session, revises, parsed, source_url=path_or_url if is_url else None
            )
            session.commit()
            print_revision(revisions.revision_summary(session, report), as_json)
            return
        # Only long articles take long enough to be worth a progress bar (on stderr, apart from --json).
        long = len(parsed.blocks) >= LONG_ARTICLE_BLOCKS
        bar = click.progressbar(length=len(parsed.blocks), label="Storing blocks", file=sys.stderr)
        with bar if long else nullcontext() as progress:
            article = article_storage.import_article(
                session,
                parsed,
                source_url=path_or_url if is_url else None,
                progress=progress.update if progress else None,
            )
    except ForumError as error:
        fail(error)
    session.commit()
    summary = article_storage.import_summary(session, article.id)
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(
            f"Imported article {summary['id']} \"{summary['title']}\": {plural(int(summary['threads']), 'thread')}, "
            f"{plural(int(summary['headings']), 'heading')}, {plural(int(summary['citations']), 'citation slot')} "
            f"({summary['sources']} with a URL from the article)."
        )


def print_revision(summary: dict[str, Any], as_json: bool) -> None:
    """What a revision made, as JSON or in words."""
    if as_json:
        click.echo(json.dumps(summary))
        return
    changes = ", ".join(f"{count} {change}" for change, count in summary["changes"].items() if count)
    review = f"; {plural(len(summary['review']), 'verdict')} to review" if summary["review"] else ""
    click.echo(f"Article {summary['id']} \"{summary['title']}\" is now at revision {summary['revision']}: "
               f"{changes or 'nothing changed'}{review}.")


@forum_cli.command("seed-discussion")
@click.argument("article_id", type=AN_ID)
@click.option("--arguments-per-thread", type=click.IntRange(min=0), default=5, show_default=True)
@click.option("--votes-per-argument", type=click.IntRange(min=0), default=5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed makes the same discussion.")
def seed_discussion(article_id: int, arguments_per_thread: int, votes_per_argument: int, seed: int) -> None:
    """Fill an article's threads with a synthetic discussion in bulk (for benchmarks)."""
    session = get_session()
    try:
        report = seeding.seed_discussion(
            session,
            article_id,
            arguments_per_thread=arguments_per_thread,
            votes_per_argument=votes_per_argument,
            seed=seed,
        )
    except ForumError as error:
        fail(error)
    session.commit()
    click.echo(
        f"Seeded article {article_id}: {plural(report.arguments, 'argument')} with "
        f"{plural(report.sources, 'source')} and {plural(report.votes, 'vote')} by "
        f"{plural(report.members, 'member')}; {plural(report.consensus_marks, 'thread')} marked."
    )


@forum_cli.command("load-discussion")
@click.argument("article_id", type=AN_ID)
@click.argument("path", type=click.Path(dir_okay=False))
def load_discussion(article_id: int, path: str) -> None:
    """Load a hand-written discussion from a TOML file (demo/discussion.toml) into an article.

    On the standalone site every member of the file gets an account; their one password is read from stdin.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise click.ClickException(f"Cannot read {path}: {error.strerror}.") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise click.ClickException(f"Cannot read {path} as TOML: {error}.") from None
    try:
        # A file with mistakes is refused before any password is asked for.
        discussions.parse_discussion(data)
    except ForumError as error:
        fail(error)
    with_accounts = "forum_accounts" in current_app.extensions
    session = get_session()
    try:
        report = discussions.load_discussion(
            session,
            article_id,
            data,
            password=read_password() if with_accounts else None,
            min_password_length=current_app.config["FORUM_PASSWORD_MIN_LENGTH"],
            limits=content_limits(),
        )
    except ForumError as error:
        fail(error)
    session.commit()
    click.echo(
        f"Loaded {plural(report.arguments, 'argument')} with {plural(report.sources, 'source')}, "
        f"{plural(report.votes, 'vote')}, {plural(report.verdicts, 'verdict')} and "
        f"{plural(report.flags, 'flag')} into article {article_id}."
    )
    who = ", ".join(m.name if m.role == Role.MEMBER else f"{m.name} ({m.role})" for m in report.members)
    click.echo(f"Members{' (each signs in with the password given)' if with_accounts else ''}: {who}.")


@forum_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(path: str) -> None:
    """Write everything the forum holds to PATH as JSON (a backup)."""
    data = backup.export(get_session())
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    rows = sum(len(rows) for rows in data["tables"].values())
    click.echo(f"Exported {plural(rows, 'row')} from {plural(len(data['tables']), 'table')} to {path}.")


@forum_cli.command("export-article")
@click.argument("article_id", type=AN_ID)
@click.option("--format", "format_", type=click.Choice(list(exports.WRITERS)), default="json", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write it here, else to stdout.")
def export_article(article_id: int, format_: str, output: str | None) -> None:
    """Export an article's debate (hidden arguments included, marked, as a moderator's export holds them)."""
    session = get_session()
    try:
        chunks = exports.open_export(session, article_id, format_, moderator=True)
    except ForumError as error:
        fail(error)
    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    with Path(output).open("w", encoding="utf-8") as file:
        for chunk in chunks:
            file.write(chunk)
    click.echo(f"Exported article {article_id} as {format_} to {output}.", err=True)


@forum_cli.command("import-debate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the new article's id and counts as one JSON object.")
def import_debate(path: str, as_json: bool) -> None:
    """Import a debate exported with `--format json` as a new article, with its threads, arguments and verdicts."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.ClickException(f"Cannot read {path} as a debate export: {error}.") from None
    except RecursionError:
        raise click.ClickException(f"Cannot read {path} as a debate export: it nests too deep.") from None
    session = get_session()
    try:
        article = debate_import.import_debate(session, data, body_limit=content_limits().body)
    except ForumError as error:
        session.rollback()
        fail(error)
    session.commit()
    summary = article_storage.import_summary(session, article.id)
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(f"Imported article {article.id}: {summary['title']} ({plural(int(summary['threads']), 'thread')}).")


@forum_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore_command(path: str) -> None:
    """Load a backup made by `forum export` into an empty forum database."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:  # ValueError: not UTF-8, not JSON, a number of thousands of digits
        raise click.ClickException(f"Cannot read {path} as a backup: {error}.") from None
    except RecursionError:
        raise click.ClickException(f"Cannot read {path} as a backup: it nests deeper than any backup.") from None
    session = get_session()
    try:
        counts = backup.restore(session, data)
    except ForumError as error:
        fail(error)
    session.commit()
    click.echo(f"Restored {plural(sum(counts.values()), 'row')} into {plural(len(counts), 'table')}.")
