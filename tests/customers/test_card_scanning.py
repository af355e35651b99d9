"""Invariant 6 for stored free text: card numbers masked, a CVV or expiry next to one removed.

redact_card_data scans notes and interaction summaries before they are encrypted. Nothing
generated here is stored, so the text strategies need not avoid NUL characters.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccplatform.redaction import (
    CARD_DATA_REMOVED,
    CARD_MASK_PREFIX,
    CardRedaction,
    luhn_valid,
    redact_card_data,
)
from tests.card_strategies import card_numbers, invalid_numbers

# Surrounding text without digits: a digit next to a card number changes the number.
PROSE = st.text(alphabet=st.characters(exclude_categories=("Nd", "Cs")), max_size=30)
SINGLE_SEPARATORS = st.sampled_from(["", "", " ", "-"])  # mostly none, like real input
# "Any spacing": up to three spaces, tabs, no-break or thin spaces, hyphens or dashes.
ANY_SPACING = st.text(alphabet=" \t\u00a0\u2009-\u2013\u2014", min_size=1, max_size=3)
MASKED = re.escape(CARD_MASK_PREFIX) + r"(?P<shown>\d{4})"
REMOVED = re.escape(CARD_DATA_REMOVED)


@st.composite
def written_out(draw: st.DrawFn, digits: str) -> str:
    """`digits` with a single space or dash between some of them."""
    separators = draw(
        st.lists(SINGLE_SEPARATORS, min_size=len(digits) - 1, max_size=len(digits) - 1)
    )
    return digits[0] + "".join(
        sep + digit for sep, digit in zip(separators, digits[1:], strict=True)
    )


@st.composite
def cvvs(draw: st.DrawFn) -> str:
    return draw(st.text(alphabet="0123456789", min_size=3, max_size=4))


@st.composite
def expiries(draw: st.DrawFn) -> str:
    """An expiry date as people write it, labelled or not."""
    month = draw(st.integers(1, 12))
    year = draw(
        st.one_of(st.integers(0, 99).map("{:02d}".format), st.integers(2000, 2099).map(str))
    )
    shape = draw(
        st.sampled_from(
            [
                "{m:02d}/{y}",
                "{m}/{y}",
                "{m:02d}-{y}",
                "exp {m:02d}/{y}",
                "Exp: {m:02d}/{y}",
                "expires {m:02d}-{y}",
                "valid thru {m:02d}/{y}",
                "EXP {m:02d} {y}",
            ]
        )
    )
    return shape.format(m=month, y=year)


def digits_of(text: str) -> str:
    """The decimal digits of `text` (what `\\d` matches, not "²")."""
    return "".join(re.findall(r"\d", text))


def masked_once(result: CardRedaction, before: str, after: str) -> re.Match[str]:
    """The one masked card between `before` and `after` (with any removal markers)."""
    pattern = re.escape(before) + f"(?:{REMOVED} )?{MASKED}(?: {REMOVED})?" + re.escape(after)
    match = re.fullmatch(pattern, result.text, flags=re.DOTALL)
    assert match, result.text
    return match


# --- Card numbers --------------------------------------------------------------------------


@given(st.data(), card_numbers(), PROSE, PROSE)
def test_card_number_in_random_text_is_masked_and_never_appears(
    data: st.DataObject, digits: str, before: str, after: str
) -> None:
    result = redact_card_data(before + data.draw(written_out(digits)) + after)
    match = masked_once(result, before, after)
    assert result.cards == 1
    assert digits not in digits_of(result.text)
    assert len(digits_of(result.text)) == 4
    if not result.removed:
        assert match["shown"] == digits[-4:]


@given(card_numbers(), PROSE, PROSE)
def test_card_number_without_separators_shows_exactly_its_last_four(
    digits: str, before: str, after: str
) -> None:
    result = redact_card_data(before + digits + after)
    assert result == CardRedaction(
        text=before + CARD_MASK_PREFIX + digits[-4:] + after, cards=1, removed=0
    )


@given(st.data(), card_numbers(), PROSE, PROSE)
def test_card_number_with_any_spacing_between_groups_is_masked(
    data: st.DataObject, digits: str, before: str, after: str
) -> None:
    groups = [digits[index : index + 4] for index in range(0, len(digits), 4)]
    spacing = data.draw(st.lists(ANY_SPACING, min_size=len(groups) - 1, max_size=len(groups) - 1))
    card = groups[0] + "".join(sep + group for sep, group in zip(spacing, groups[1:], strict=True))
    result = redact_card_data(before + card + after)
    masked_once(result, before, after)
    assert result.cards == 1
    assert len(digits_of(result.text)) == 4


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111  1111  1111  1111",
        "4111\t1111\t1111\t1111",
        "4111 - 1111 - 1111 - 1111",
        "4111\u00a01111\u00a01111\u00a01111",
        "4111\u20131111\u20131111\u20131111",
        "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
        "41111111 11111111",
    ],
)
def test_common_ways_of_writing_a_card_number_are_masked(text: str) -> None:
    assert redact_card_data(f"card {text} ok") == CardRedaction(text="card •••• 1111 ok", cards=1)


def test_card_number_after_the_decimals_of_a_number_is_still_masked() -> None:
    # Log lines leave "0.<digits>" alone (a duration); a stored note must not keep a PAN so.
    assert redact_card_data("ref 1.4111111111111111").text == "ref 1.•••• 1111"


def test_several_card_numbers_are_each_masked() -> None:
    result = redact_card_data("old 4111111111111111, new 5500 0000 0000 0004.")
    assert result == CardRedaction(text="old •••• 1111, new •••• 0004.", cards=2)


# --- Luhn-invalid numbers and numbers that are not next to a card --------------------------


@given(invalid_numbers(), cvvs(), PROSE, PROSE)
def test_luhn_invalid_numbers_and_their_neighbours_are_kept(
    digits: str, cvv: str, before: str, after: str
) -> None:
    text = f"{before}{digits} cvv {cvv}{after}"
    assert redact_card_data(text) == CardRedaction(text=text)


@given(st.data(), invalid_numbers(min_size=12, max_size=12), PROSE, PROSE)
def test_luhn_invalid_numbers_written_out_are_kept(
    data: st.DataObject, digits: str, before: str, after: str
) -> None:
    # Twelve digits: no shorter run of its groups could be a card number on its own.
    text = before + data.draw(written_out(digits)) + after
    assert redact_card_data(text) == CardRedaction(text=text)


@given(
    st.data(),
    card_numbers(),
    cvvs(),
    st.sampled_from(
        ["was declined; call back on extension", "customer quoted order", "see ticket", "paid"]
    ),
    PROSE,
)
def test_cvv_like_number_not_next_to_a_card_is_kept(
    data: st.DataObject, digits: str, cvv: str, words: str, after: str
) -> None:
    tail = f" {words} {cvv}{after}"
    result = redact_card_data(data.draw(written_out(digits)) + tail)
    assert result.cards == 1
    assert result.text.endswith(tail)


@given(st.lists(st.one_of(cvvs(), expiries(), PROSE), max_size=8))
def test_text_without_a_card_number_is_returned_as_it_is(pieces: list[str]) -> None:
    # Joined by words: short numbers separated only by spaces would form a longer number.
    text = " and then ".join(pieces)
    assert redact_card_data(text) == CardRedaction(text=text)


# --- CVV and expiry next to a card ---------------------------------------------------------


def assert_card_data_removed(result: CardRedaction, before: str, after: str) -> None:
    assert result.cards == 1
    assert result.removed >= 1
    assert CARD_DATA_REMOVED in result.text
    assert result.text.startswith(before)
    assert result.text.endswith(after)
    # Only the four digits shown of the card survive: the CVV or expiry date is gone.
    assert len(digits_of(result.text)) == 4


@given(
    st.data(),
    # From 13 digits: "4111 1111 1111" and a 4-digit CVV is also how a 16-digit card is
    # written, and is read as one.
    card_numbers(min_size=13),
    cvvs(),
    st.sampled_from(
        [" ", "-", ", ", " cvv ", " CVV: ", "\nCVC ", " security code ", " (csc ", " / ", "\n"]
    ),
    PROSE,
    PROSE,
)
def test_cvv_right_after_a_card_number_is_removed(
    data: st.DataObject, digits: str, cvv: str, joiner: str, before: str, after: str
) -> None:
    text = before + data.draw(written_out(digits)) + joiner + cvv + after
    assert_card_data_removed(redact_card_data(text), before, after)


@given(
    st.data(),
    card_numbers(min_size=13),
    expiries(),
    st.sampled_from([" ", ", ", "\n", " - ", " ("]),
    PROSE,
    PROSE,
)
def test_expiry_right_after_a_card_number_is_removed(
    data: st.DataObject, digits: str, expiry: str, joiner: str, before: str, after: str
) -> None:
    text = before + data.draw(written_out(digits)) + joiner + expiry + after
    assert_card_data_removed(redact_card_data(text), before, after)


@given(
    st.data(),
    card_numbers(min_size=13),
    st.one_of(cvvs().map(lambda cvv: f"cvv {cvv}"), expiries()),
    st.sampled_from([" ", ", card ", "\nCard number: ", "; "]),
    PROSE,
    PROSE,
)
def test_cvv_or_expiry_right_before_a_card_number_is_removed(
    data: st.DataObject, digits: str, item: str, joiner: str, before: str, after: str
) -> None:
    text = before + item + joiner + data.draw(written_out(digits)) + after
    assert_card_data_removed(redact_card_data(text), before, after)


@given(st.data(), card_numbers(min_size=13), cvvs(), expiries(), PROSE, PROSE)
def test_scanning_twice_changes_nothing_more(
    data: st.DataObject, digits: str, cvv: str, expiry: str, before: str, after: str
) -> None:
    # The rescan command relies on this: text it already scanned is left as it is.
    text = f"{before}{data.draw(written_out(digits))} {expiry} cvv {cvv}{after}"
    once = redact_card_data(text).text
    assert redact_card_data(once) == CardRedaction(text=once)


@pytest.mark.parametrize(
    ("text", "expected", "removed"),
    [
        (
            "Card: 4111 1111 1111 1111\nCVV: 123\nExp: 12/2027",
            "Card: •••• 1111\nCVV: [card data removed]\nExp: [card data removed]",
            2,
        ),
        (
            "paid with 4111111111111111 exp 12/27 cvv 123, thanks",
            "paid with •••• 1111 exp [card data removed] cvv [card data removed], thanks",
            2,
        ),
        ("4111 1111 1111 1111 12/25 ok", "•••• 1111 [card data removed] ok", 1),
        ("4111-1111-1111-1111-123", "•••• 1111-[card data removed]", 1),
        ("4111 1111 1111 1111 12 27 123", "•••• 1111 [card data removed] [card data removed]", 2),
        ("cvv 123, card 4111111111111111", "cvv [card data removed], card •••• 1111", 1),
        (
            "exp 12/27 cvv 123 4111111111111111 thanks",
            "exp [card data removed] cvv [card data removed] •••• 1111 thanks",
            2,
        ),
        ("378282246310005 (CID 1234)", "•••• 0005 (CID [card data removed])", 1),
    ],
)
def test_typical_notes_lose_their_card_data(text: str, expected: str, removed: int) -> None:
    assert redact_card_data(text) == CardRedaction(text=expected, cards=1, removed=removed)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111 on 12/27/2026 at the branch",  # a date, not an expiry
        "4111111111111111 refunded 123.45",  # an amount
        "4111111111111111 then call 123 4567",  # a phone number
        "4111111111111111 was declined, call back at 123",  # words in between
    ],
)
def test_numbers_near_a_card_that_are_not_card_data_are_kept(text: str) -> None:
    result = redact_card_data(text)
    assert result.removed == 0
    assert result.text == text.replace("4111111111111111", "•••• 1111")


def test_the_security_event_counts_come_from_the_scan() -> None:
    result = redact_card_data("a 4111111111111111 cvv 123 and b 5500000000000004 exp 01/30")
    assert (result.cards, result.removed, result.changed) == (2, 2, True)
    assert not redact_card_data("no card here, cvv 123").changed


def test_a_cvv_is_never_shown_as_the_last_four_of_a_longer_reading() -> None:
    # 4111 1111 1111 1111 and 4111 1111 1111 1111 993 both pass Luhn: the 19-digit reading
    # would show "1993"; the 16-digit reading with its CVV removed is the safe one.
    card = "4111111111111111"
    cvv = next(f"{n:03d}" for n in range(1000) if luhn_valid(card + f"{n:03d}"))
    result = redact_card_data(f"4111 1111 1111 1111 {cvv}")
    assert result == CardRedaction(text="•••• 1111 [card data removed]", cards=1, removed=1)
