"""Certificate numbers: unguessable, readable aloud, and self-checking.

A number is 65 random bits written as 13 Crockford base-32 symbols (no I, L, O or U, so
nothing is mistaken for 1 or 0), then a check symbol: the value mod 37, from Crockford's
37-symbol check alphabet. Because 37 is prime and every place value (a power of 32) is not
a multiple of it, any single mistyped symbol, and any swap of two neighbours, changes the
check: a typo is told apart from an unknown number. Shown as NAAS-XXXX-XXXX-XXXXX-C.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
RANDOM_SYMBOLS = 13  # 65 bits
PREFIX = "NAAS"
# What people type by mistake for what they mean (Crockford's decoding rules).
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class NumberError(ValueError):
    """The text is not a well-formed certificate number, or its check symbol is wrong."""


def _value(symbols: str) -> int:
    value = 0
    for symbol in symbols:
        value = value * 32 + ALPHABET.index(symbol)
    return value


def check_symbol(symbols: str) -> str:
    return CHECK_ALPHABET[_value(symbols) % 37]


def new_number() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return format_number(symbols + check_symbol(symbols))


def format_number(compact: str) -> str:
    body, check = compact[:-1], compact[-1]
    return f"{PREFIX}-{body[:4]}-{body[4:8]}-{body[8:]}-{check}"


def parse_number(text: str) -> str:
    """The canonical form of a number as typed (any case, spaces or dashes), or NumberError:
    "malformed" when it cannot be a number at all, "typo" when its check symbol disagrees."""
    compact = "".join(ch for ch in text.upper() if ch not in " -\t")
    if len(compact) == len(PREFIX) + RANDOM_SYMBOLS + 1 and compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    if len(compact) != RANDOM_SYMBOLS + 1:
        raise NumberError("malformed")
    # The check symbol is read as forgivingly as the rest: 0 and 1 are check symbols too.
    compact = compact.translate(_READ_AS)
    body, check = compact[:-1], compact[-1]
    if any(ch not in ALPHABET for ch in body) or check not in CHECK_ALPHABET:
        raise NumberError("malformed")
    if check_symbol(body) != check:
        raise NumberError("typo")
    return format_number(body + check)
