"""API tokens: trade a user name and password for a bearer token, and revoke it."""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.schemas import RequestBody, examples
from forum.auth import bearer_secret
from forum.db import get_session
from forum.errors import ForumError, NotAuthenticated
from forum.ratelimit import guard_sign_in
from forum.services import accounts, tokens


class TokenRequest(RequestBody):
    """The credentials of a site account."""

    model_config = examples({"username": "mira", "password": "demo password"})

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class TokenCreated(BaseModel):
    """A new token: shown once, keep it secret."""

    token: str


class TokenRevoked(BaseModel):
    """The token that was revoked."""

    revoked: bool


class AccountsDisabled(ForumError):
    """This site signs users in through its host app, which has no forum passwords."""

    status = 404
    code = "not_found"


@registry.route(
    "/tokens", "POST", body=TokenRequest,
    responses={201: TokenCreated, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody}, token=False,
)
def create_token(body: TokenRequest) -> ResponseReturnValue:
    """Create a bearer token from a user name and password (403 for a removed member, who only reads).

    Who may call it: anyone, with the user name and password of a site account (a host app that signs its
    users in itself has none: 404).
    """
    if "forum_accounts" not in current_app.blueprints:
        raise AccountsDisabled(
            "This site has no forum passwords; ask an administrator for a token "
            "(flask forum create-token)."
        )
    session = get_session()
    # The same sign-in limits as the form's, counted together with it.
    account = guard_sign_in(body.username, lambda: accounts.authenticate(session, body.username, body.password))
    member = accounts.member_of(session, account)
    if member is None:
        raise NotAuthenticated("Wrong user name or password.")
    _, secret = tokens.issue_token(session, member, label="api")
    session.commit()
    return {"token": secret}, 201


@registry.route("/tokens/current", "DELETE", responses={200: TokenRevoked}, auth=True)
def revoke_current_token() -> ResponseReturnValue:
    """Revoke the bearer token this request uses.

    Who may call it: the holder of a bearer token, sending it.
    """
    secret = bearer_secret()
    if secret is None:
        raise NotAuthenticated("Send the token to revoke as Authorization: Bearer TOKEN.")
    session = get_session()
    tokens.revoke(session, secret)
    session.commit()
    return {"revoked": True}
