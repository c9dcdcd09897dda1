"""What each state of a thread and of an argument allows, written once.

The services refuse with `check`; the pages offer an action only where `allows` says yes, so a page
never shows a button the service would refuse, and the API takes nothing the pages do not offer.

- A **locked** thread is closed to the debate: nobody posts, replies or votes, and authors no longer
  edit or withdraw (the thread stays as it was when it was locked). Members may still flag: abuse in a
  locked thread stays visible, and a flag is how it reaches the moderators. Moderators still hide and
  restore, edit (to redact), set the verdict and unlock.
- A **hidden** argument takes no votes, replies or flags (the moderators have seen to it); its author may
  still edit it (to fix it for a restore) or withdraw it, and moderators may restore it.
- A **withdrawn** argument has left the discussion: nothing more happens to it (no votes, replies, edits,
  flags, hiding or restoring); its replies stay.
- A **removed** paragraph (a revision of its article left it out) keeps its thread as it was, like a
  locked one, with a message of its own.
- An **unpublished** article is gone from readers (410); moderators still read it and may hide and
  restore in it, but its threads take nothing new from anyone.

Two rules every page and the API ask of an argument live here too: the edit rule (its author edits it
until the thread is locked or the argument withdrawn, a moderator edits it while it is not withdrawn, and
must then say why) and the hiding rule (a hidden or withdrawn argument keeps its place, but its content
and earlier versions are shown to moderators only).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol

from forum.errors import Conflict, Forbidden, ForumError, Gone


class Action(enum.StrEnum):
    """What someone may do in a thread, or to one argument of it."""

    POST = "post"  # a new argument in the thread
    REPLY = "reply"
    VOTE = "vote"
    EDIT = "edit"
    WITHDRAW = "withdraw"
    FLAG = "flag"
    HIDE = "hide"
    RESTORE = "restore"


class ArticleState(Protocol):
    """What the policy reads of an article: whether it was unpublished."""

    unpublished_at: datetime | None


class ThreadState(Protocol):
    """What the policy reads of a thread: whether it is locked or removed by a revision, and its article."""

    locked: bool
    removed_in: int | None

    @property
    def article(self) -> ArticleState: ...


class ArgumentState(Protocol):
    """What the policy reads of an argument (a row, or the thread's snapshot of one)."""

    @property
    def author_id(self) -> int: ...

    @property
    def hidden(self) -> bool: ...

    @property
    def withdrawn_at(self) -> datetime | None: ...


# What a removed member is told when they try to take part.
REMOVED = "Your membership of this forum was removed: you may read, not take part."
MODERATORS_ONLY = {Action.HIDE, Action.RESTORE}
# What a locked thread still allows, and to whom (None: anyone who may do it elsewhere).
OPEN_WHEN_LOCKED = {Action.FLAG: None, Action.HIDE: None, Action.RESTORE: None, Action.EDIT: "moderator"}
CLOSED_WHEN_HIDDEN = {Action.VOTE, Action.REPLY, Action.FLAG}


def refusal(
    action: Action,
    *,
    locked: bool,
    hidden: bool = False,
    withdrawn: bool = False,
    mine: bool = False,
    moderator: bool = False,
    unpublished: bool = False,
    removed: bool = False,
) -> ForumError | None:
    """Why `action` is refused in this state, to this member (their own argument? a moderator?), or None.

    A thread whose paragraph a revision removed is kept as it was, like a locked one.
    """
    if unpublished and not (moderator and action in MODERATORS_ONLY):
        return Gone("This article was unpublished: its threads take nothing new.")
    if removed and action not in OPEN_WHEN_LOCKED:
        return Forbidden(f"This paragraph was removed from the article: its thread is kept as it was and takes no "
                         f"{LOCKED_NOUN[action]}.")
    locked = locked or removed
    if action in MODERATORS_ONLY and not moderator:
        return Forbidden("Only a moderator may do this.")
    if action == Action.VOTE and mine:
        return Forbidden("You cannot vote on your own argument.")
    if action == Action.FLAG and mine:
        return Forbidden("You cannot flag your own argument; withdraw or edit it instead.")
    if action == Action.EDIT and not (mine or moderator):
        return Forbidden("Only its author or a moderator may edit an argument.")
    if action == Action.WITHDRAW and not mine:
        return Forbidden("Only its author may withdraw an argument.")
    if withdrawn and action != Action.POST:
        return Conflict(WITHDRAWN[action])
    if locked and action in OPEN_WHEN_LOCKED:
        if OPEN_WHEN_LOCKED[action] == "moderator" and not moderator:
            return Forbidden(f"This thread is locked: only a moderator may {action.value} in it.")
    elif locked:
        return Forbidden(f"This thread is locked: it takes no {LOCKED_NOUN[action]}.")
    if hidden and action in CLOSED_WHEN_HIDDEN:
        return Forbidden(f"A hidden argument takes no {LOCKED_NOUN[action]}.")
    if action == Action.HIDE and hidden:
        return Conflict("This argument is hidden already.")
    if action == Action.RESTORE and not hidden:
        return Conflict("This argument is not hidden.")
    return None


WITHDRAWN = {
    Action.REPLY: "A withdrawn argument takes no replies.",
    Action.VOTE: "A withdrawn argument takes no votes.",
    Action.EDIT: "A withdrawn argument cannot be edited.",
    Action.WITHDRAW: "This argument is withdrawn already.",
    Action.FLAG: "A withdrawn argument takes no flags: only moderators see it now.",
    Action.HIDE: "A withdrawn argument cannot be hidden: only moderators see it now.",
    Action.RESTORE: "A withdrawn argument cannot be restored: only moderators see it now.",
}
LOCKED_NOUN = {
    Action.POST: "new arguments",
    Action.REPLY: "replies",
    Action.VOTE: "votes",
    Action.WITHDRAW: "withdrawals",
    Action.FLAG: "flags",
}


def check(action: Action, **state: bool) -> None:
    """Raise the refusal of `action` in this state, if it is refused."""
    refused = refusal(action, **state)
    if refused is not None:
        raise refused


def allows(action: str, **state: bool) -> bool:
    """Whether `action` is allowed in this state: what a page asks before it offers a form or a link."""
    return refusal(Action(action), **state) is None


def state(
    thread: ThreadState, argument: ArgumentState | None = None, *, member_id: int | None = None,
    moderator: bool = False,
) -> dict[str, bool]:
    """The state `refusal` weighs: the thread's and the argument's, and who acts (`member_id`, a moderator?)."""
    return {
        "locked": thread.locked,
        "removed": thread.removed_in is not None,
        "unpublished": thread.article.unpublished_at is not None,
        "hidden": bool(argument is not None and argument.hidden),
        "withdrawn": argument is not None and argument.withdrawn_at is not None,
        "mine": argument is not None and member_id is not None and member_id == argument.author_id,
        "moderator": moderator,
    }


def edit_needs_reason(argument: ArgumentState, editor_id: int | None) -> bool:
    """The edit rule's second half: whoever edits someone else's argument (a moderator) says why."""
    return editor_id is None or editor_id != argument.author_id


def concealed(argument: ArgumentState) -> bool:
    """Whether an argument is hidden by a moderator or withdrawn by its author."""
    return argument.hidden or argument.withdrawn_at is not None


def shows_content(argument: ArgumentState, moderator: bool) -> bool:
    """The hiding rule: whether a reader sees an argument's content and versions (a concealed one: moderators)."""
    return moderator or not concealed(argument)
