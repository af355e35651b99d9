"""Hypothesis strategies for card numbers, shared by the redaction and note-scanning tests.

The Luhn check digit is computed here independently of the product's own implementation.
"""

from __future__ import annotations

from hypothesis import strategies as st


def check_digit(body: str) -> str:
    """The digit that makes `body + digit` pass Luhn (written independently of the product)."""
    doubled = True  # the rightmost digit of `body` is doubled once the check digit follows
    total = 0
    for char in reversed(body):
        value = int(char) * (2 if doubled else 1)
        total += value // 10 + value % 10
        doubled = not doubled
    return str(-total % 10)


@st.composite
def card_numbers(draw: st.DrawFn, *, min_size: int = 12, max_size: int = 19) -> str:
    """A Luhn-valid digit string of `min_size`–`max_size` digits."""
    size = draw(st.integers(min_size, max_size))
    body = draw(st.text(alphabet="0123456789", min_size=size - 1, max_size=size - 1))
    return body + check_digit(body)


@st.composite
def invalid_numbers(draw: st.DrawFn, *, min_size: int = 12, max_size: int = 19) -> str:
    """A digit string of `min_size`–`max_size` digits that fails Luhn."""
    valid = draw(card_numbers(min_size=min_size, max_size=max_size))
    wrong = draw(st.sampled_from([d for d in "0123456789" if d != valid[-1]]))
    return valid[:-1] + wrong
