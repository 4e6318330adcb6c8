from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class NumberForm(FlaskForm):
    """A certificate number to look up: a GET form (it changes nothing), so no CSRF token."""

    class Meta:
        csrf = False

    number = StringField(
        "Certificate number",
        validators=[
            DataRequired("Enter the certificate number."),
            Length(max=64, message="That is too long for a certificate number."),
        ],
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revoking",
        validators=[
            DataRequired(
                "Give the reason for revoking: it is shown to anyone who checks the certificate."
            ),
            Length(max=1000, message="Keep the reason under 1000 characters."),
        ],
    )
