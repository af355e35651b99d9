"""Find and mask personal values in free text: card numbers (PAN) and email addresses.

Used by the log processor (nothing personal reaches a log line) and, later, by the note
scanner. A card number is 12–19 digits, optionally separated by single spaces or dashes,
that passes the Luhn check; it is masked to its last four digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Digits with optional single separators; the look-arounds keep us from starting or ending
# inside a longer digit run (an order number glued to a card number is not a card number).
_CARD_CANDIDATE = re.compile(r"(?<![\d])\d(?:[ -]?\d){11,18}(?![\d])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CARD_MASK_PREFIX = "•••• "
EMAIL_MASK = "[email redacted]"


def luhn_valid(digits: str) -> bool:
    """Whether the digit string passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
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


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def mask_card_numbers(text: str) -> tuple[str, int]:
    """Replace every Luhn-valid 12–19 digit run with its last four digits."""
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        digits = _digits(match.group(0))
        if not 12 <= len(digits) <= 19 or not luhn_valid(digits):
            return match.group(0)
        found += 1
        return CARD_MASK_PREFIX + digits[-4:]

    return _CARD_CANDIDATE.sub(replace, text), found


def redact(text: str) -> Redaction:
    """Mask card numbers and email addresses in `text`."""
    masked, cards = mask_card_numbers(text)
    masked, emails = _EMAIL.subn(EMAIL_MASK, masked)
    return Redaction(text=masked, cards=cards, emails=emails)
