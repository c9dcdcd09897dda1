"""The standalone site's account pages: sign in, register, sign out, change password."""

from __future__ import annotations

import sqlalchemy.orm as so
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import Form as WTForm

from forum.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    MailSettingsForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    RegisterForm,
)
from forum.db import get_session
from forum.errors import ForumError
from forum.flask_internals import signed_in_user
from forum.models import Account
from forum.ratelimit import guard_sign_in
from forum.services import accounts, mail_accounts, visits
from forum.settings import mail_settings
from forum.urls import is_local_path
from forum.views.site import render_error, share_hooks

blueprint = Blueprint("forum_accounts", __name__)
share_hooks(blueprint)


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the forum's home: never an open redirect."""
    return target if target is not None and is_local_path(target) else url_for("forum.index")


def sign_in(session: so.Session, account: Account, remember: bool = False) -> None:
    """Sign `account` in on this browser, its visit recorded (a digest tells only of what came after it)."""
    visits.seen_now(accounts.member_of(session, account))
    session.commit()
    login_user(account, remember=remember)


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
            sign_in(session, account, remember=bool(form.remember.data))
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
            sign_in(session, account)
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


# ---------------------------------------------------------------- mail: password reset, address, digests
# A reset link carries its secret in the path: no page it opens may pass it on in a Referer.
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


@blueprint.route("/password/reset", methods=["GET", "POST"])
def request_password_reset() -> ResponseReturnValue:
    """Ask for a password reset link by name or address; the answer is the same whether any account matches."""
    form = PasswordResetRequestForm()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        mail_accounts.request_reset(session, mail_settings(), form.name_or_email.data or "")
        session.commit()
        flash(
            "If an account has that name or a confirmed address, a link to reset its password is on its way. "
            "It works once, within the hour."
        )
        return redirect(url_for("forum_accounts.request_password_reset"))
    if form.is_submitted():
        status = 422
    template = current_app.config["FORUM_TEMPLATE_PASSWORD_RESET"]
    return render_template(template, form=form), status


@blueprint.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Set a new password from a mailed link; every other session and token of the account ends."""
    session = get_session()
    settings = mail_settings()
    try:
        account = mail_accounts.account_for_reset(session, settings, token)
    except ForumError as error:
        return *render_error(error.status, "This link does not work", error.message), NO_REFERRER
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            account = mail_accounts.reset_password(
                session, settings, token, form.new_password.data or "",
                min_length=current_app.config["FORUM_PASSWORD_MIN_LENGTH"],
            )
        except ForumError as error:
            show_error(form, error)
            status = error.status
        else:
            sign_in(session, account)
            flash("Your password is set. Every other device and API token is signed out.")
            return redirect(url_for("forum.index"))
    elif form.is_submitted():
        status = 422
    template = current_app.config["FORUM_TEMPLATE_NEW_PASSWORD"]
    return render_template(template, form=form, username=account.username), status, NO_REFERRER


@blueprint.get("/account/email/confirm/<token>")
def confirm_email(token: str) -> ResponseReturnValue:
    """Confirm an address from the link mailed to it."""
    session = get_session()
    try:
        account = mail_accounts.confirm_address(session, mail_settings(), token)
    except ForumError as error:
        return render_error(error.status, "This link does not work", error.message)
    session.commit()
    flash(f"Your address {account.email} is confirmed.")
    return redirect(url_for("forum_accounts.mail_settings") if current_user.is_authenticated
                    else url_for("forum.index"))


@blueprint.route("/account/mail", methods=["GET", "POST"], endpoint="mail_settings")
@login_required
def mail_settings_page() -> ResponseReturnValue:
    """The account's mail address and how often its digest comes."""
    session = get_session()
    account = signed_in_user()
    member = accounts.member_of(session, account)
    form = MailSettingsForm(email=account.email or "", digest=member.digest if member else "weekly")
    status, headers = 200, {}
    if form.validate_on_submit() and member is not None:
        settings = mail_settings()
        wanted = (form.email.data or "").strip()

        def change() -> bool:
            accounts.verify_password(account, form.current_password.data or "")
            return mail_accounts.change_address(session, settings, account, member, wanted)

        try:
            mail_accounts.set_digest(member, form.digest.data or "")
            sent = False
            if wanted != (account.email or ""):
                # A stolen session must not move the account's mail (and so its password resets) elsewhere.
                sent = guard_sign_in(account.username, change, failure=accounts.WrongPassword)
        except ForumError as error:
            session.rollback()
            show_error(form, error)
            status, headers = error.status, error.headers()
        else:
            session.commit()
            flash(f"A confirmation link is on its way to {account.email}." if sent else "Your mail settings are saved.")
            return redirect(url_for("forum_accounts.mail_settings"))
    elif form.is_submitted():
        status = 422
    template = current_app.config["FORUM_TEMPLATE_ACCOUNT_MAIL"]
    return render_template(template, form=form, account=account), status, headers
