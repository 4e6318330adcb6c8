"""The admin's form for a candidate's approved extra time."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from .services import EXTRA_TIME_PERCENTS


def _percent(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # refused by AnyOf with the form's own message


class ExtraTimeForm(FlaskForm):
    candidate_id = HiddenField()
    percent = SelectField(
        "Extra time",
        coerce=_percent,
        validate_choice=False,
        choices=[
            (p, f"{p}% more time" if p else "None: the standard time") for p in EXTRA_TIME_PERCENTS
        ],
        validators=[
            AnyOf(
                EXTRA_TIME_PERCENTS,
                message="Choose the extra time: a step of 5%% from 0%% to 100%%.",
            )
        ],
    )
    reason = TextAreaField(
        "Reason for the adjustment",
        validators=[
            DataRequired(
                "Give the reason for the adjustment, for example the assessment that supports it."
            ),
            Length(max=500, message="Keep the reason to 500 characters or fewer."),
        ],
    )
