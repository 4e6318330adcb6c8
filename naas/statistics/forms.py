from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .services import MAX_NOTE


class ReviewNoteForm(FlaskForm):
    note = TextAreaField(
        "Note for the bank's writers",
        validators=[
            DataRequired("Write the note: what should the writers look at, and why?"),
            Length(max=MAX_NOTE, message=f"Keep the note to {MAX_NOTE} characters."),
        ],
    )
