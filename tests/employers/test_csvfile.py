"""CSV out: a cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import pytest

from naas.employers.csvfile import csv_text, safe_cell


@pytest.mark.parametrize("value", ["=1+1", "+44 20", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_cell_starting_like_a_formula_gets_a_leading_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value, written",
    [
        ("Amara Okafor", "Amara Okafor"),
        ("SW123", "SW123"),
        (None, ""),
        (42, "42"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_other_cells_are_written_as_they_are(value, written):
    assert safe_cell(value) == written


def test_quotes_and_commas_are_still_escaped_by_the_csv_rules():
    assert csv_text(["name"], [['=x,"y"']]) == 'name\r\n"\'=x,""y"""\r\n'
