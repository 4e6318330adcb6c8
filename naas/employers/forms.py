from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from naas.models.organisations import ORGANISATION_KINDS


class EndorseForm(FlaskForm):
    name = StringField(
        "Full name",
        validators=[DataRequired("Enter their full name."), Length(max=200)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter their email address."), Length(max=254)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    registration_number = StringField(
        "Social Work England registration number",
        validators=[
            DataRequired("Enter their Social Work England registration number."),
            Length(max=20),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    tier = RadioField(
        "Tier",
        validate_choice=False,
        validators=[DataRequired("Choose the tier to endorse them for.")],
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Enter a password."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


KIND_LABELS = {
    "local_authority": "Local authority",
    "agency": "Agency",
    "trust": "Children's trust",
    "other": "Other",
}


class OrganisationForm(FlaskForm):
    name = StringField(
        "Organisation name",
        validators=[DataRequired("Enter the organisation's name."), Length(max=200)],
    )
    kind = SelectField("Kind", choices=[(kind, KIND_LABELS[kind]) for kind in ORGANISATION_KINDS])


class EmployerUserForm(FlaskForm):
    name = StringField(
        "Full name", validators=[DataRequired("Enter their full name."), Length(max=200)]
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter their email address."), Length(max=254)],
        render_kw={"spellcheck": "false"},
    )


def show_refusal(form: FlaskForm, refusal) -> None:
    """Put a service's refusal on the form: by its field, or at the top when it names none."""
    (getattr(form, refusal.field).errors if refusal.field else form.form_errors).append(
        refusal.message
    )
