from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from .questions import QUESTIONS, Question
from .services import CONSENT_NEEDED, MAX_NOTE


def _listed(question: Question):
    """An answer from the question's own list, or none at all; anything else (a forged form)
    is refused. The service checks again before anything is stored."""

    def check(form, field) -> None:
        if field.data not in (None, "") and field.data not in question.codes:
            raise ValidationError(
                f"Choose one of the answers listed for “{question.legend}”, or “Prefer not to say”."
            )

    return check


class EqualityForm(FlaskForm):
    consent = BooleanField(
        "I agree that NAAS may keep these answers and use them, without my name, in fairness "
        "reports for administrators",
        validators=[DataRequired(CONSENT_NEEDED)],
    )

    def answers(self) -> dict[str, str | None]:
        return {q.name: self[q.name].data or None for q in QUESTIONS}


for _question in QUESTIONS:
    setattr(
        EqualityForm,
        _question.name,
        RadioField(
            _question.legend,
            choices=[(code, label) for code, label in _question.choices],
            validate_choice=False,
            validators=[_listed(_question)],
        ),
    )


class WithdrawForm(FlaskForm):
    """Only the CSRF token: the button is the whole of the choice."""


class ReviewForm(FlaskForm):
    note = TextAreaField(
        "Note for the bank's writers",
        validators=[
            DataRequired("Write the note: what should the writers look at, and why?"),
            Length(max=MAX_NOTE, message=f"Keep the note to {MAX_NOTE} characters."),
        ],
    )
