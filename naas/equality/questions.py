"""The equality-monitoring questions and their answers (docs/fairness.md).

Each answer is stored as a short code; the label is what the candidate reads. Ethnic group
uses the 19 categories of the 2021 census in England (Office for National Statistics),
grouped under the five broad groups the fairness report compares. Every question offers
"Prefer not to say", and any question may be left unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFER_NOT = "prefer-not"
PREFER_NOT_LABEL = "Prefer not to say"


@dataclass(frozen=True)
class Question:
    name: str  # the EqualityResponse column
    legend: str  # the question as asked
    label: str  # its short name in the report
    choices: tuple[tuple[str, str], ...]  # (code, label), "prefer not to say" last
    hint: str = ""
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # headings over the choices (ethnic group)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for code, _ in self.choices)

    def label_of(self, code: str | None) -> str:
        return dict(self.choices).get(code, "No answer") if code else "No answer"


ETHNIC_GROUPS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "asian",
        "Asian or Asian British",
        (
            ("asian-bangladeshi", "Bangladeshi"),
            ("asian-chinese", "Chinese"),
            ("asian-indian", "Indian"),
            ("asian-pakistani", "Pakistani"),
            ("asian-other", "Any other Asian background"),
        ),
    ),
    (
        "black",
        "Black, Black British, Caribbean or African",
        (
            ("black-african", "African"),
            ("black-caribbean", "Caribbean"),
            ("black-other", "Any other Black, Black British or Caribbean background"),
        ),
    ),
    (
        "mixed",
        "Mixed or Multiple ethnic groups",
        (
            ("mixed-white-asian", "White and Asian"),
            ("mixed-white-black-african", "White and Black African"),
            ("mixed-white-black-caribbean", "White and Black Caribbean"),
            ("mixed-other", "Any other Mixed or Multiple ethnic background"),
        ),
    ),
    (
        "white",
        "White",
        (
            ("white-british", "English, Welsh, Scottish, Northern Irish or British"),
            ("white-irish", "Irish"),
            ("white-gypsy-traveller", "Gypsy or Irish Traveller"),
            ("white-roma", "Roma"),
            ("white-other", "Any other White background"),
        ),
    ),
    (
        "other",
        "Other ethnic group",
        (
            ("other-arab", "Arab"),
            ("other-any", "Any other ethnic group"),
        ),
    ),
)
BROAD_ETHNIC_GROUPS: dict[str, str] = {code: label for code, label, _ in ETHNIC_GROUPS}


def broad_ethnic_group(code: str | None) -> str | None:
    """'white' for 'white-irish', and so on; a "prefer not to say" or no answer is kept as it is."""
    if code is None or code == PREFER_NOT:
        return code
    return code.split("-", 1)[0]


QUESTIONS: tuple[Question, ...] = (
    Question(
        "ethnic_group",
        "What is your ethnic group?",
        "Ethnic group",
        tuple((code, label) for _, _, choices in ETHNIC_GROUPS for code, label in choices)
        + ((PREFER_NOT, PREFER_NOT_LABEL),),
        hint="The categories of the 2021 census in England. Choose the one that best describes your ethnic group "
        "or background.",
        groups=tuple(
            (heading, tuple(code for code, _ in choices)) for _, heading, choices in ETHNIC_GROUPS
        ),
    ),
    Question(
        "sex",
        "What is your sex?",
        "Sex",
        (("female", "Female"), ("male", "Male"), (PREFER_NOT, PREFER_NOT_LABEL)),
    ),
    Question(
        "age_band",
        "What is your age?",
        "Age band",
        (
            ("under-25", "Under 25"),
            ("25-34", "25 to 34"),
            ("35-44", "35 to 44"),
            ("45-54", "45 to 54"),
            ("55-64", "55 to 64"),
            ("65-plus", "65 and over"),
            (PREFER_NOT, PREFER_NOT_LABEL),
        ),
    ),
    Question(
        "disability",
        "Do you consider yourself to have a disability?",
        "Disability",
        (("yes", "Yes"), ("no", "No"), (PREFER_NOT, PREFER_NOT_LABEL)),
        hint="The Equality Act 2010 says you are disabled if you have a physical or mental impairment that has a "
        "substantial and long-term (12 months or more) negative effect on your ability to do normal daily "
        "activities.",
    ),
    Question(
        "years_qualified",
        "How long is it since you qualified as a social worker?",
        "Years since qualifying",
        (
            ("under-2", "Under 2 years"),
            ("2-5", "2 years to under 5"),
            ("5-10", "5 years to under 10"),
            ("10-plus", "10 years or more"),
            (PREFER_NOT, PREFER_NOT_LABEL),
        ),
    ),
    Question(
        "practice_setting",
        "Where do you mainly practise?",
        "Practice setting",
        (
            ("la-cin-cp", "Local authority: child in need and child protection"),
            ("la-looked-after", "Local authority: looked-after children and care leavers"),
            ("fostering-adoption", "Fostering and adoption"),
            ("youth-justice", "Youth justice"),
            ("agency", "Agency or locum work"),
            ("other", "Another setting"),
            (PREFER_NOT, PREFER_NOT_LABEL),
        ),
    ),
)
QUESTION_NAMES: tuple[str, ...] = tuple(q.name for q in QUESTIONS)
BY_NAME: dict[str, Question] = {q.name: q for q in QUESTIONS}
