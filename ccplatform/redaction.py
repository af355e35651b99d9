"""Find and mask personal values in free text: card numbers (PAN) and email addresses.

Used by the log processor (nothing personal reaches a log line) and, later, by the note
scanner. A card number is 12–19 digits, optionally separated by single spaces or dashes,
that passes the Luhn check; it is masked to its last four digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A run of digit groups joined by single spaces or dashes ("4111 1111-1111 1111 12 25"),
# not the decimals of a number ("took 0.000843000108160s" is a duration, not a card).
_DIGIT_RUN = re.compile(r"(?<!\d)(?<!\d\.)\d+(?:[ -]\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CARD_MASK_PREFIX = "•••• "
EMAIL_MASK = "[email redacted]"


def luhn_valid(digits: str) -> bool:
    """Whether the digit string passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)  # not ord() - 48: \d also matches non-ASCII digits
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@dataclass(frozen=True)
class Redaction:
    """The redacted text and how many values of each kind were masked."""

    text: str
    cards: int = 0
    emails: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.cards or self.emails)


def _card_spans(run: str) -> list[tuple[int, int, str]]:
    """(start, end, last four digits) of each card number in one digit run.

    A card number is a sequence of whole groups of the run, 12–19 digits long, that passes
    Luhn. Every such sequence is tried, not only the longest, so a card number is found even
    when an expiry date follows it ("4111 1111 1111 1111 12 25") or a quantity precedes it;
    overlapping finds are merged into one masked span. A group is never split: digits glued
    to a card number make a different number, not a card.
    """
    groups = list(_DIGIT_GROUP.finditer(run))
    merged: list[list[int]] = []  # [first group, last group] of each masked span
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last].group()
            if len(digits) > 19:
                break
            if len(digits) >= 12 and luhn_valid(digits):
                if merged and first <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], last)
                else:
                    merged.append([first, last])
    spans = []
    for first, last in merged:
        digits = "".join(group.group() for group in groups[first : last + 1])
        spans.append((groups[first].start(), groups[last].end(), digits[-4:]))
    return spans


def mask_card_numbers(text: str) -> tuple[str, int]:
    """Replace every Luhn-valid 12–19 digit number with its last four digits."""
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        run = match.group(0)
        if len(run) < 12:
            return run
        pieces: list[str] = []
        position = 0
        for start, end, last_four in _card_spans(run):
            pieces += [run[position:start], CARD_MASK_PREFIX + last_four]
            position = end
            found += 1
        pieces.append(run[position:])
        return "".join(pieces)

    return _DIGIT_RUN.sub(replace, text), found


def redact(text: str) -> Redaction:
    """Mask card numbers and email addresses in `text`."""
    masked, cards = mask_card_numbers(text)
    masked, emails = _EMAIL.subn(EMAIL_MASK, masked)
    return Redaction(text=masked, cards=cards, emails=emails)


@dataclass(frozen=True)
class CardRedaction:
    """Free text with card numbers masked, and what was found and removed."""

    text: str
    cards: int = 0
    removed: int = 0  # CVV-like codes or expiry dates next to a card number


_NEXT_TO_CARD = re.compile(
    r"(?P<card>" + re.escape(CARD_MASK_PREFIX) + r"\d{4})"
    r"(?P<tail>(?:[\s,;:/-]*(?:(?:cvv2?|cvc2?|csc|security code|exp(?:iry|\.)?|expires?)[\s:#.]*)?"
    r"(?:\d{3,4}|\d{1,2}\s*/\s*\d{2,4}))+)",
    re.IGNORECASE,
)


def redact_card_data(text: str) -> CardRedaction:
    """Mask card numbers to the last four digits and drop a CVV or expiry right after one."""
    masked, cards = mask_card_numbers(text)
    if not cards:
        return CardRedaction(text=text)
    removed = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal removed
        removed += 1
        return match.group("card") + " [card data removed]"

    return CardRedaction(text=_NEXT_TO_CARD.sub(drop, masked), cards=cards, removed=removed)
