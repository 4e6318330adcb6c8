"""Certificate numbers: 65 random bits, and a check symbol that catches every typo of one symbol."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naas.certificates.numbers import ALPHABET, NumberError, new_number, parse_number


def test_a_new_number_parses_back_to_itself_in_any_case_and_spacing():
    number = new_number()
    assert parse_number(number) == number
    assert parse_number(number.lower().replace("-", " ")) == number


def test_numbers_do_not_repeat():
    assert len({new_number() for _ in range(5000)}) == 5000


def test_every_single_symbol_typo_of_a_number_is_caught():
    for _ in range(20):
        number = new_number()
        compact = number.replace("-", "")[4:]
        for position in range(len(compact) - 1):  # each random symbol
            for wrong in ALPHABET:
                if wrong == compact[position]:
                    continue
                typo = compact[:position] + wrong + compact[position + 1:]
                with pytest.raises(NumberError, match="typo"):
                    parse_number(typo)


@settings(max_examples=300)
@given(st.data())
def test_swapping_two_neighbouring_symbols_is_caught(data):
    number = new_number()
    compact = number.replace("-", "")[4:]
    position = data.draw(st.integers(0, len(compact) - 3))
    if compact[position] == compact[position + 1]:
        return
    swapped = compact[:position] + compact[position + 1] + compact[position] + compact[position + 2:]
    with pytest.raises(NumberError, match="typo"):
        parse_number(swapped)


def test_letters_read_as_digits_are_forgiven():
    number = new_number()
    body = number.replace("-", "")[4:]
    if "0" in body[:-1]:
        assert parse_number(body[:-1].replace("0", "O") + body[-1]) == number


@pytest.mark.parametrize("text", ["", "NAAS", "NAAS-1234", "hello world this is long", "NAAS-UUUU-UUUU-UUUUU-0"])
def test_text_that_cannot_be_a_number_is_malformed(text):
    with pytest.raises(NumberError, match="malformed"):
        parse_number(text)
