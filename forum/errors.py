"""The forum's domain errors; each maps to one HTTP status in one place."""

from __future__ import annotations

from collections.abc import Sequence


class ForumError(Exception):
    """Base of every error a service raises for the caller to report."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the status (none, for most errors)."""
        return {}


class Invalid(ForumError):
    """The values were well formed but break a rule of the forum; `also` holds further mistakes in the same
    input, so that a form can show every one at once (the API's answer names the first)."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, also: Sequence[Invalid] = ()) -> None:
        super().__init__(message, field=field)
        self.also = list(also)

    @property
    def problems(self) -> list[Invalid]:
        """This mistake and the others found with it, in the order they were found."""
        return [self, *self.also]

    @classmethod
    def all_of(cls, problems: Sequence[Invalid]) -> Invalid:
        """One error carrying every mistake of `problems` (each flattened), the first as its own."""
        flat = [one for problem in problems for one in problem.problems]
        first = flat[0]
        return cls(first.message, field=first.field, also=flat[1:])


class NotAuthenticated(ForumError):
    """The action needs a signed-in member or a valid token."""

    status = 401
    code = "not_authenticated"


class Forbidden(ForumError):
    """The viewer's role does not allow the action."""

    status = 403
    code = "forbidden"


class NotFound(ForumError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class Conflict(ForumError):
    """The action clashes with the current state (a duplicate, a stale version)."""

    status = 409
    code = "conflict"


class Gone(ForumError):
    """The thing asked for was withdrawn from readers (an unpublished article); its data is kept."""

    status = 410
    code = "gone"


class TooManyRequests(ForumError):
    """Too many attempts in too short a time; the answer says when to try again (and `Retry-After`)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """`Retry-After`, in seconds."""
        return {"Retry-After": str(self.retry_after)}
