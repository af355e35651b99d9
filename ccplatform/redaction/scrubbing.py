"""Log lines and audit text: mask card numbers (PAN) and email addresses.

A card number is 12–19 digits, optionally separated by single spaces or dashes, that passes
the Luhn check; it is masked to its last four digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A run of digit groups joined by single spaces or dashes ("4111 1111-1111 1111 12 25"),
# not the decimals of a number ("took 0.000843000108160s" is a duration, not a card).
_DIGIT_RUN = re.compile(r"(?<!\d)(?<!\d\.)\d+(?:[ -]\d+)*")
# A UUID (the ids in audit details and URLs) can hold a Luhn-valid run of 12+ digits, yet it
# is never a card number (32 hex digits): it is matched first and left as it is.
_UUID_OR_DIGIT_RUN = re.compile(
    r"(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
    f"|{_DIGIT_RUN.pattern}"
)
DIGIT_GROUP = re.compile(r"\d+")
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
    groups = list(DIGIT_GROUP.finditer(run))
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
        if len(run) < 12 or match.group("uuid"):
            return run
        pieces: list[str] = []
        position = 0
        for start, end, last_four in _card_spans(run):
            pieces += [run[position:start], CARD_MASK_PREFIX + last_four]
            position = end
            found += 1
        pieces.append(run[position:])
        return "".join(pieces)

    return _UUID_OR_DIGIT_RUN.sub(replace, text), found


def redact(text: str) -> Redaction:
    """Mask card numbers and email addresses in `text`."""
    masked, cards = mask_card_numbers(text)
    masked, emails = _EMAIL.subn(EMAIL_MASK, masked)
    return Redaction(text=masked, cards=cards, emails=emails)
