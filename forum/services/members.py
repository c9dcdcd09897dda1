"""Members and their roles."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.models import Account, Member, Role, utcnow
from forum.services import audit
from forum.services.policy import REMOVED
from forum.services.tokens import revoke_all
from forum.services.votes import remove_votes_of
from forum.usernames import username_key


def parse_role(value: str) -> Role:
    """The `Role` named by `value`, or an `Invalid` error listing the roles."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise Invalid(f"Unknown role {value!r}: choose one of {names}.", field="role") from None


def ensure_member(session: so.Session, user_id: str, name: str) -> Member:
    """The member stored for `user_id`, created as a plain member if new; its name kept current."""
    # A host's user may be named anything, NUL too, which no page may hold: it marks what a kept fragment leaves open.
    name = name.replace("\x00", "")
    member = session.scalar(sa.select(Member).where(Member.user_id == user_id))
    if member is None:
        member = Member(user_id=user_id, name=name[:100], role=Role.MEMBER.value)
        try:
            # A savepoint, so that losing a race with a parallel first write keeps the outer transaction.
            with session.begin_nested():
                session.add(member)
        except sa.exc.IntegrityError:
            member = session.scalars(sa.select(Member).where(Member.user_id == user_id)).one()
    elif name and member.name != name[:100]:
        member.name = name[:100]
    return member


def set_role(session: so.Session, user_id: str, role: Role, name: str | None = None) -> Member:
    """Give the user `user_id` the role `role`, storing them as a member if they are new."""
    member = ensure_member(session, user_id, name or f"user {user_id}")
    member.role = role.value
    return member


def find_member(session: so.Session, name_or_id: str) -> Member:
    """The member named by an account name, a user id or a (unique) display name."""
    account = session.scalar(
        sa.select(Account).where(Account.username_key == username_key(name_or_id))
    )
    if account is not None:
        member = session.scalar(sa.select(Member).where(Member.user_id == account.user_key))
        if member is not None:
            return member
    member = session.scalar(sa.select(Member).where(Member.user_id == name_or_id))
    if member is not None:
        return member
    named = session.scalars(sa.select(Member).where(Member.name == name_or_id).limit(2)).all()
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise Invalid(f"Several members are called {name_or_id!r}: give the user id instead.")
    raise NotFound(f"No member or account is called {name_or_id!r}.")


def remove_member(session: so.Session, member: Member) -> int:
    """Remove a member from the discussion: their votes go (counters fixed), their tokens stop working.

    Their arguments stay, so that the replies to them still make sense. Returns the votes taken back.
    """
    member.removed_at = utcnow()
    # Their row is updated (and locked) before their votes are read: a vote of theirs under way finishes first and
    # is taken back with the rest, and one that comes later waits, then finds them removed.
    session.flush()
    revoke_all(session, member)
    return remove_votes_of(session, member)




def roster(session: so.Session, limit: int = 1000) -> list[Member]:
    """The members by name, for an admin to appoint or remove moderators."""
    return list(session.scalars(sa.select(Member).order_by(Member.name, Member.id).limit(limit)))


def holds(member: Member, role: Role) -> bool:
    """Whether the member acts with `role` or one above it; a removed member holds none."""
    acting = member.acting_role
    return acting is not None and acting.rank >= role.rank


def require(member: Member, role: Role) -> None:
    """Raise `Forbidden` unless the member acts with `role` or one above it."""
    if member.acting_role is None:
        raise Forbidden(REMOVED)
    if not holds(member, role):
        raise Forbidden(f"Only {role.with_article} may do this.")


def appoint(session: so.Session, admin: Member, member_id: int, role: Role) -> Member:
    """An admin gives a member a role (appointing or removing moderators); the change is audited."""
    require(admin, Role.ADMIN)
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("There is no such member.")
    if member.id == admin.id and role != Role.ADMIN:
        raise Invalid("Admins cannot lower their own role; another admin must.", field="role")
    previous = member.role
    member.role = role.value
    audit.record(session, admin, "member.role", "member", member.id, "", role=role.value, previous=previous)
    return member


def remove_by(session: so.Session, actor: Member, member_id: int, reason: str) -> int:
    """A moderator or admin removes a member, as `remove_member` does, with a reason; the removal is audited.

    Only a role above the member's may: moderators remove members, admins also moderators; nobody removes
    themselves, and admins are removed on the command line only. Returns the votes taken back.
    """
    require(actor, Role.MODERATOR)
    reason = audit.check_reason(reason)
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("There is no such member.")
    if member.id == actor.id:
        raise Forbidden("You cannot remove yourself.")
    if Role(member.role).rank >= Role(actor.role).rank:
        raise Forbidden(f"Only a role above {Role(member.role).with_article} may remove them.")
    if member.removed_at is not None:
        raise Conflict(f"{member.name} was already removed.")
    votes = remove_member(session, member)
    audit.record(session, actor, "member.remove", "member", member.id, reason, votes=votes)
    return votes
