"""Certificate numbers: 65 random bits, and a check symbol that catches every typo of one symbol."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naas.certificates.numbers import (
    ALPHABET,
    CHECK_ALPHABET,
    PREFIX,
    NumberError,
    check_symbol,
    format_number,
    new_number,
    parse_number,
)


def test_a_new_number_parses_back_to_itself_in_any_case_and_spacing():
    number = new_number()
    assert parse_number(number) == number
    assert parse_number(number.lower().replace("-", " ")) == number


def test_numbers_do_not_repeat():
    assert len({new_number() for _ in range(5000)}) == 5000


def number_with_check(symbol: str) -> str:
    """A number whose check symbol is `symbol`, found by trying random bodies."""
    rng = random.Random(symbol)
    while True:
        body = "".join(rng.choice(ALPHABET) for _ in range(13))
        if check_symbol(body) == symbol:
            return format_number(body + symbol)


# A few numbers, chosen so that between them the check symbol is a digit that can be mistyped
# as a letter (0, 1), a plain letter and each of the symbols that are not letters or digits.
NUMBERS = [number_with_check(symbol) for symbol in "01K*~$=U"]


@pytest.mark.parametrize("number", NUMBERS)
def test_every_single_symbol_typo_anywhere_in_a_number_is_caught(number):
    compact = compact_of(number)
    for position in range(len(compact)):
        symbols = ALPHABET if position < len(compact) - 1 else CHECK_ALPHABET
        for wrong in symbols:
            if wrong == compact[position]:
                continue
            typo = compact[:position] + wrong + compact[position + 1 :]
            with pytest.raises(NumberError, match="typo"):
                parse_number(typo)


@pytest.mark.parametrize("number", NUMBERS)
def test_letters_read_as_digits_are_forgiven_in_every_position_check_symbol_included(number):
    compact = compact_of(number)
    for position, symbol in enumerate(compact):
        for read_as in {"0": "Oo", "1": "IiLl"}.get(symbol, ""):
            assert parse_number(compact[:position] + read_as + compact[position + 1 :]) == number


def compact_of(number: str) -> str:
    return number.replace("-", "")[len(PREFIX) :]


@pytest.mark.parametrize(
    "typed",
    [
        "{n}",
        "{c}",
        "naas{c}",
        "NaAs {c}",
        " N A A S - {c} ",
        "n-a-a-s-{c}",
        "{n_lower}",
        "{c_lower}",
    ],
)
def test_the_prefix_may_be_typed_in_any_case_and_spacing_or_left_out(typed):
    number = NUMBERS[2]
    compact = compact_of(number)
    text = typed.format(n=number, c=compact, n_lower=number.lower(), c_lower=compact.lower())
    assert parse_number(text) == number


@pytest.mark.parametrize("prefix", ["NAAX", "NAA5", "MAAS", "NAA", "NAASS", "NASA", "XNAAS"])
def test_a_wrong_prefix_is_malformed(prefix):
    with pytest.raises(NumberError, match="malformed"):
        parse_number(prefix + "-" + compact_of(NUMBERS[2]))


def test_a_number_whose_body_begins_with_the_letters_naas_reads_without_its_prefix():
    number = next(
        format_number(b + check_symbol(b))
        for b in ("NAAS" + "0" * 8 + s for s in ALPHABET)
        if check_symbol(b) in ALPHABET
    )
    assert parse_number(compact_of(number)) == number


@settings(max_examples=300)
@given(st.data())
def test_swapping_two_neighbouring_symbols_is_caught(data):
    number = new_number()
    compact = number.replace("-", "")[4:]
    position = data.draw(st.integers(0, len(compact) - 3))
    if compact[position] == compact[position + 1]:
        return
    swapped = (
        compact[:position] + compact[position + 1] + compact[position] + compact[position + 2 :]
    )
    with pytest.raises(NumberError, match="typo"):
        parse_number(swapped)


def test_letters_read_as_digits_are_forgiven():
    number = new_number()
    body = number.replace("-", "")[4:]
    if "0" in body[:-1]:
        assert parse_number(body[:-1].replace("0", "O") + body[-1]) == number


@pytest.mark.parametrize(
    "text", ["", "NAAS", "NAAS-1234", "hello world this is long", "NAAS-UUUU-UUUU-UUUUU-0"]
)
def test_text_that_cannot_be_a_number_is_malformed(text):
    with pytest.raises(NumberError, match="malformed"):
        parse_number(text)
