"""Invariant 6: card numbers in free text are found (Luhn, 12–19 digits) and masked to last 4.

Nothing generated here is stored, so the text strategies need not avoid NUL characters.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccplatform.redaction import CARD_MASK_PREFIX, EMAIL_MASK, Redaction, luhn_valid, redact
from tests.card_strategies import card_numbers, invalid_numbers

SEPARATORS = st.sampled_from(["", "", " ", "-"])  # mostly none, like real input
# Surrounding text without digits (a digit next to a card number changes the number) and
# without "@" (so no email address appears by accident).
PROSE = st.text(
    alphabet=st.characters(exclude_categories=("Nd", "Cs"), exclude_characters="@"),
    max_size=30,
)


@st.composite
def written_out(draw: st.DrawFn, digits: str) -> str:
    """`digits` as a person might type them: single spaces or dashes between some digits."""
    separators = draw(st.lists(SEPARATORS, min_size=len(digits) - 1, max_size=len(digits) - 1))
    return digits[0] + "".join(
        sep + digit for sep, digit in zip(separators, digits[1:], strict=True)
    )


def digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


# --- luhn_valid ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",  # Visa test card
        "5500000000000004",  # Mastercard
        "340000000000009",  # American Express
        "30000000000004",  # Diners Club
        "6011000000000004",  # Discover
        "79927398713",  # the textbook example
        "0",
        "18",
    ],
)
def test_luhn_accepts_known_valid_numbers(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize(
    "number", ["4111111111111112", "79927398710", "79927398719", "1234567812345678", "1"]
)
def test_luhn_rejects_known_invalid_numbers(number: str) -> None:
    assert not luhn_valid(number)


@given(card_numbers(min_size=2, max_size=19), st.data())
def test_luhn_catches_every_single_digit_error(number: str, data: st.DataObject) -> None:
    assert luhn_valid(number)
    position = data.draw(st.integers(0, len(number) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    assert not luhn_valid(number[:position] + wrong + number[position + 1 :])


# --- Masking -------------------------------------------------------------------------------


@given(st.data(), card_numbers(), PROSE, PROSE)
def test_card_number_in_text_is_masked_to_its_last_four_digits(
    data: st.DataObject, digits: str, before: str, after: str
) -> None:
    card = data.draw(written_out(digits))
    result = redact(before + card + after)
    assert result.text == before + CARD_MASK_PREFIX + digits[-4:] + after
    assert result.cards == 1
    assert digits not in result.text.replace(" ", "").replace("-", "")


@given(
    st.data(),
    card_numbers(),
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), max_size=3),
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), max_size=3),
)
def test_card_number_next_to_other_numbers_is_still_masked(
    data: st.DataObject, digits: str, numbers_before: list[str], numbers_after: list[str]
) -> None:
    # "qty 2 4111 1111 1111 1111 exp 12 25": the neighbours are separate numbers.
    card = data.draw(written_out(digits))
    separator = data.draw(st.sampled_from([" ", "-"]))
    text = separator.join([*numbers_before, card, *numbers_after])
    result = redact(text)
    assert CARD_MASK_PREFIX in result.text
    assert result.cards >= 1
    # Of the card, at most four digits survive (neighbours may be masked along with it).
    neighbours = digit_count("".join(numbers_before + numbers_after))
    assert digit_count(result.text) <= neighbours + 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Card 4111 1111 1111 1111 12/25", "Card •••• 1111 12/25"),
        ("card 4111-1111-1111-1111 exp 12 25", "card •••• 1111 exp 12 25"),
        ("qty 2 4111 1111 1111 1111", "qty 2 •••• 1111"),
        ("two: 4111111111111111 5500 0000 0000 0004.", "two: •••• 1111 •••• 0004."),
    ],
)
def test_card_number_followed_or_preceded_by_short_numbers_is_masked(
    text: str, expected: str
) -> None:
    assert redact(text).text == expected


@given(invalid_numbers(), PROSE, PROSE)
def test_luhn_invalid_numbers_are_left_alone(digits: str, before: str, after: str) -> None:
    text = before + digits + after
    assert redact(text).text == text


@given(st.data(), invalid_numbers(min_size=12, max_size=12), PROSE, PROSE)
def test_luhn_invalid_numbers_written_out_are_left_alone(
    data: st.DataObject, digits: str, before: str, after: str
) -> None:
    # Twelve digits: no shorter run of its groups could be a card number on its own.
    text = before + data.draw(written_out(digits)) + after
    assert redact(text).text == text


@given(card_numbers(min_size=2, max_size=11), PROSE)
def test_numbers_shorter_than_twelve_digits_are_not_cards(digits: str, after: str) -> None:
    assert redact(digits + after).text == digits + after


@given(
    card_numbers(),
    st.text(alphabet="0123456789", max_size=10),
    st.text(alphabet="0123456789", max_size=10),
)
def test_card_number_glued_to_a_longer_digit_run_is_not_a_card(
    digits: str, glued_before: str, glued_after: str
) -> None:
    number = glued_before + digits + glued_after
    if len(number) <= 19:
        number = "9" * (20 - len(number)) + number
    text = f"order {number} shipped"
    assert redact(text) == Redaction(text=text)


def test_emails_are_masked_and_counted() -> None:
    result = redact("from ada@example.com and bob.smith+cc@mail.example.org.")
    assert result.text == f"from {EMAIL_MASK} and {EMAIL_MASK}."
    assert (result.cards, result.emails, result.changed) == (0, 2, True)


def test_text_without_personal_values_is_unchanged() -> None:
    text = "Order 12345 shipped on 2026-11-28 at 15:59; call +1 555 010 0199."
    result = redact(text)
    assert result.text == text
    assert not result.changed


def test_decimals_of_a_number_are_not_a_card_number() -> None:
    # 000843000108160 passes Luhn, but after "0." it is a fraction (Celery logs durations so).
    text = "Task succeeded in 0.000843000108160s"
    assert redact(text).text == text
    assert redact("Card 4111 1111 1111 1111.").text == "Card •••• 1111."


def test_ids_that_look_like_digit_runs_are_not_card_numbers() -> None:
    # The last group of this UUID is 12 digits that pass Luhn; audit details carry such ids.
    text = "customers: 0f1e2d3c-4b5a-4978-b5da-100000000008"
    assert redact(text).text == text
