"""The standalone site's account pages: sign in, register, sign out, change password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import Form as WTForm

from forum.accounts.forms import ChangePasswordForm, LoginForm, RegisterForm
from forum.db import get_session
from forum.errors import ForumError
from forum.flask_internals import signed_in_user
from forum.ratelimit import guard_sign_in
from forum.services import accounts
from forum.urls import split_url
from forum.views.site import share_hooks

blueprint = Blueprint("forum_accounts", __name__)
share_hooks(blueprint)


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the forum's home: never an open redirect."""
    if target:
        parts = split_url(target.replace("\\", "/"))
        if parts is not None and not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("forum.index")


def show_error(form: WTForm, error: ForumError) -> None:
    """Attach a service's error to the form field it names, or to the form as a whole."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with a user name and password."""
    form = LoginForm(next=request.args.get("next", ""))
    status, headers = 200, {}
    if form.validate_on_submit():
        session = get_session()
        username, password = form.username.data or "", form.password.data or ""
        try:
            account = guard_sign_in(username, lambda: accounts.authenticate(session, username, password))
        except ForumError as error:
            show_error(form, error)
            status, headers = error.status, error.headers()  # a 429 says when to try again
        else:
            session.commit()
            login_user(account, remember=form.remember.data)
            return redirect(safe_next(form.next.data))
    elif form.is_submitted():
        status = 422
    template = current_app.config["FORUM_TEMPLATE_LOGIN"]
    return render_template(template, form=form), status, headers


@blueprint.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Create an account and sign in."""
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        try:
            account = accounts.register(
                session,
                form.username.data or "",
                form.password.data or "",
                min_length=current_app.config["FORUM_PASSWORD_MIN_LENGTH"],
            )
        except ForumError as error:
            show_error(form, error)
            status = error.status
        else:
            session.commit()
            login_user(account)
            flash(f"Welcome, {account.username}.")
            return redirect(url_for("forum.index"))
    elif form.is_submitted():
        status = 422
    template = current_app.config["FORUM_TEMPLATE_REGISTER"]
    return render_template(template, form=form), status


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """Sign out (a POST, so that no link on another site can sign you out), ending every copy of the session."""
    if request.method == "POST":
        if current_user.is_authenticated:
            accounts.sign_out(signed_in_user())
            get_session().commit()
        logout_user()
        flash("You are signed out.")
        return redirect(url_for("forum.index"))
    return render_template("forum/logout.html")


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change the signed-in account's password."""
    form = ChangePasswordForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        session = get_session()
        account = signed_in_user()

        def change() -> None:
            accounts.change_password(
                session,
                account,
                form.current_password.data or "",
                form.new_password.data or "",
                min_length=current_app.config["FORUM_PASSWORD_MIN_LENGTH"],
            )

        try:
            # Guessing the current password (with a stolen session) is limited like signing in.
            guard_sign_in(account.username, change, failure=accounts.WrongPassword)
        except ForumError as error:
            show_error(form, error)
            status, headers = error.status, error.headers()
        else:
            session.commit()
            # Every other session is signed out now; this one signs in again under the new token.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(account, remember=remembered)
            flash("Your password is changed; every other device is signed out.")
            return redirect(url_for("forum.index"))
    elif form.is_submitted():
        status = 422
    template = current_app.config["FORUM_TEMPLATE_CHANGE_PASSWORD"]
    return render_template(template, form=form), status, headers
