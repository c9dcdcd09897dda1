"""`flask forum score` and `flask forum send-mail`: the jobs a site runs beside its web servers, once or kept
running with `--watch`, added to the forum's commands (`forum.cli`)."""

from __future__ import annotations

import time

import click

from forum.cli import AN_ID, SEED, fail, forum_cli
from forum.db import get_session
from forum.errors import ForumError
from forum.mail_addresses import member_address
from forum.models import utcnow
from forum.plurals import plural
from forum.services import outbox, scoring_runs
from forum.services.digests import queue_digests
from forum.services.mail_sender import send_due
from forum.settings import mail_settings, smtp_settings

__all__ = ["forum_cli"]


def score_once(article_id: int | None, seed: int) -> None:
    """Score now and say what changed."""
    session = get_session()
    try:
        report = scoring_runs.score(session, article_id=article_id, seed=seed)
    except ForumError as error:
        fail(error)
    session.commit()
    click.echo(
        f"Scored {plural(report.votes, 'vote')} with {report.algorithm}: {plural(report.arguments_scored, 'argument')} "
        f"rated, {report.helpful} helpful, {plural(report.arguments_changed, 'argument')} changed; "
        f"{plural(report.suggestions_changed, 'suggestion')} of {plural(report.threads, 'thread')} changed. "
        f"Input digest {report.digest}."
    )


@forum_cli.command("score")
@click.option("--article", "article_id", type=AN_ID, help="Write only this article's helpfulness and suggestions.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="The scorer's seed: same seed, same scores.")
@click.option("--watch", is_flag=True, help="Keep running, scoring again whenever the votes call for it.")
@click.option("--after-votes", type=click.IntRange(min=1), default=50, show_default=True,
              help="With --watch: score again once this many new votes came.")
@click.option("--every", type=click.FloatRange(min=1), default=600, show_default=True,
              help="With --watch: score again after this many seconds if any vote changed.")
@click.option("--poll", type=click.FloatRange(min=0), default=10, show_default=True,
              help="With --watch: seconds between looks at the votes.")
@click.option("--rounds", type=click.IntRange(min=1), hidden=True, help="With --watch: stop after this many looks.")
def score_command(
    article_id: int | None, seed: int, watch: bool, after_votes: int, every: float, poll: float, rounds: int | None
) -> None:
    """Score every vote now: each argument's helpfulness and each thread's suggestion (--watch: keep them fresh)."""
    if not watch:
        score_once(article_id, seed)
        return
    if article_id is not None:
        raise click.ClickException("--watch scores the whole forum: leave out --article.")
    looked = 0
    while rounds is None or looked < rounds:
        looked += 1
        session = get_session()
        state = scoring_runs.freshness(session)
        session.rollback()  # a look holds no transaction open between looks
        if scoring_runs.due(state, after_votes=after_votes, every=every, now=utcnow()):
            score_once(None, seed)
        if rounds is None or looked < rounds:
            time.sleep(poll)


def send_mail_once(sender: str) -> None:
    """Write the digests that are due, then send what the outbox holds, and say what was done."""
    session = get_session()
    settings = mail_settings()
    digests = queue_digests(session, settings, lambda member: member_address(session, member))
    report = send_due(session, settings, smtp_settings(), sender)
    waiting = outbox.pending(session)
    session.rollback()  # nothing held open between rounds
    click.echo(
        f"Sent {plural(report.sent, 'mail')} ({plural(digests, 'digest')} written); "
        f"{report.retried} to retry, {report.failed} given up; {waiting} waiting."
    )


@forum_cli.command("send-mail")
@click.option("--watch", is_flag=True, help="Keep running, sending mail as it comes.")
@click.option("--poll", type=click.FloatRange(min=0), default=5, show_default=True,
              help="With --watch: seconds between looks at the outbox.")
@click.option("--rounds", type=click.IntRange(min=1), hidden=True, help="With --watch: stop after this many looks.")
def send_mail_command(watch: bool, poll: float, rounds: int | None) -> None:
    """Send the outbox's mail that is due (with digests that are due), with retries (--watch: keep sending)."""
    sender = outbox.sender_id()
    looked = 0
    while True:
        looked += 1
        send_mail_once(sender)
        if not watch or (rounds is not None and looked >= rounds):
            return
        time.sleep(poll)
