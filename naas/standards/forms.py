"""Forms of standard setting. A judge's page of ratings has one field per item, read by the
view from the request (the items differ page by page); its form carries the round and the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, FloatField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .services import DECISIONS


class PercentField(FloatField):
    """A percentage, blank allowed; anything else that is not a number is refused by name."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = float(valuelist[0])
            except ValueError:
                self.data = None
                raise ValueError(f"{self.label.text}: enter a number from 0 to 100.") from None
            if self.data != self.data or self.data in (
                float("inf"),
                float("-inf"),
            ):  # nan, infinity
                self.data = None
                raise ValueError(f"{self.label.text}: enter a number from 0 to 100.")


HOFSTEE_FIELDS = ("hofstee_min_cut", "hofstee_max_cut", "hofstee_min_fail", "hofstee_max_fail")


class ExerciseForm(FlaskForm):
    tier = SelectField("Tier", validate_choice=False, validators=[DataRequired("Choose a tier.")])
    title = StringField(
        "Title",
        validators=[
            DataRequired("Give the exercise a title."),
            Length(max=200, message="Keep the title to 200 characters or fewer."),
        ],
    )
    hofstee_min_cut = PercentField(
        "Lowest acceptable cut score (percent of marks)", validators=[Optional()]
    )
    hofstee_max_cut = PercentField(
        "Highest acceptable cut score (percent of marks)", validators=[Optional()]
    )
    hofstee_min_fail = PercentField(
        "Lowest acceptable failure rate (percent of candidates)", validators=[Optional()]
    )
    hofstee_max_fail = PercentField(
        "Highest acceptable failure rate (percent of candidates)", validators=[Optional()]
    )

    def set_tiers(self, tiers: list[str]) -> None:
        self.tier.choices = [(t, t.capitalize()) for t in tiers]


class JudgeForm(FlaskForm):
    email = EmailField(
        "Email address of the standard setter or assessor",
        validators=[DataRequired("Enter the judge's email address."), Length(max=254)],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )


class RatingsForm(FlaskForm):
    round = HiddenField()


class ReleasedForm(FlaskForm):
    decision = RadioField(
        "Results released before approval",
        choices=[(k, v.capitalize()) for k, v in DECISIONS.items()],
        validators=[DataRequired("Choose what happens to results already released.")],
    )
