"""The account forms; CSRF is checked by the forum's blueprint hook, so the forms leave it out."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms
from wtforms.validators import EqualTo, InputRequired, Length


class Form(FlaskForm):
    """A form whose CSRF token is validated before the view runs."""

    class Meta:
        csrf = False


class LoginForm(Form):
    username = StringField("User name", validators=[InputRequired(), Length(max=100)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class RegisterForm(Form):
    username = StringField(
        "User name",
        validators=[InputRequired(), Length(min=3, max=30)],
        description="3 to 30 letters, digits, '.', '-' or '_'.",
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=1024)],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[InputRequired(), EqualTo("password", message="The passwords differ.")],
    )


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[InputRequired()])
    new_password = PasswordField(
        "New password",
        validators=[InputRequired(), Length(max=1024)],
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class PasswordResetRequestForm(Form):
    name_or_email = StringField(
        "User name or mail address",
        validators=[InputRequired(), Length(max=254)],
    )


class NewPasswordForm(Form):
    new_password = PasswordField("New password", validators=[InputRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class MailSettingsForm(Form):
    email = StringField(
        "Mail address",
        validators=[Length(max=254)],
        description="Optional. Used for password resets and digests, never shown to anyone.",
    )
    current_password = PasswordField(
        "Current password",
        validators=[Length(max=1024)],
        description="Needed to change the address.",
    )
    digest = RadioField(
        "Digest of unread notifications",
        choices=[SelectChoice("weekly", "Weekly"), SelectChoice("daily", "Daily"), SelectChoice("never", "Never")],
        validators=[InputRequired()],
    )
