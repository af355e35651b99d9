"""Stored free text (notes, interaction summaries): card numbers, and a CVV or expiry next
to one, are found with a stricter scanner than the log scrubber's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ccplatform.redaction.scrubbing import CARD_MASK_PREFIX, DIGIT_GROUP, luhn_valid

# --- Free text that is stored: notes and interaction summaries ------------------------------
#
# Stored text is scanned harder than a log line: a miss there keeps a card number at rest.
# Card numbers may carry any horizontal spacing or dashes between digit groups, digits right
# after "<digit>." are scanned too, and a CVV or expiry date next to a card number is removed.

# Bump when redact_card_data finds more than before: `rescan_notes` re-scans every stored
# text whose scanned_version is lower.
CARD_SCANNER_VERSION = 2
CARD_DATA_REMOVED = "[card data removed]"

_SPACING = r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\-\u2010-\u2015\u2212]"
_NOTE_DIGIT_RUN = re.compile(rf"(?<!\d)\d+(?:{_SPACING}{{1,3}}\d+)*")

# What may stand between a card number and its CVV or expiry date for them to be "next to"
# each other: spacing, punctuation, a line break (pasted "Card: …\nCVV: 123"), "and".
_GAP = r"[\s,;:/|()\[\]#=*-]{0,6}(?:(?:and\b|&)[\s,;:]{0,3})?"
_LABEL_END = r"[ \t]*[:#=.-]?[ \t]*"
_CVV_LABEL = (
    r"\b(?:cvv2?|cvc2?|cvn|cid|csc|cav2|sec(?:urity|\.)?[ \t]*code"
    r"|(?:card[ \t]+)?verification[ \t]+(?:code|value|number))"
)
_EXPIRY_LABEL = (
    r"\b(?:exp(?:iry|iration|ires|ired)?(?:[ \t]+date)?\.?"
    r"|valid[ \t]+(?:thru|through|until|to)|good[ \t]+(?:thru|through))"
)
_CARD_LABEL = (
    r"\b(?:(?:credit|debit)[ \t]+)?(?:card|cc|pan|visa|mastercard|amex)"
    r"(?:[ \t]*(?:number|num|no\.?|#))?" + _LABEL_END
)
_MONTH = r"(?:0?[1-9]|1[0-2])"
# A value ends where the number ends: "12/27/2026" is a date and "123.45" an amount.
_CVV = r"\d{3,4}(?!\d)(?![.,]\d)(?![ \t]?[/-][ \t]?\d)(?![ \t]\d{3})"
_EXPIRY = _MONTH + r"(?:[ \t]?[/-][ \t]?|[ \t])(?:\d{4}|\d{2})(?!\d)(?![/.-]\d)"
# Only after an expiry label: "exp 1227", "exp 12.27".
_LABELLED_EXPIRY = r"(?:0[1-9]|1[0-2])[.]?(?:\d{4}|\d{2})(?!\d)(?![/.-]\d)"


def _item(starts: str) -> str:
    """A CVV or an expiry date, optionally labelled; `starts` guards where a value begins."""
    return (
        rf"(?:{_EXPIRY_LABEL}{_LABEL_END})?(?P<expiry>{starts}{_EXPIRY})"
        rf"|{_EXPIRY_LABEL}{_LABEL_END}(?P<labelled_expiry>{starts}{_LABELLED_EXPIRY})"
        rf"|(?:{_CVV_LABEL}{_LABEL_END})?(?P<cvv>{starts}{_CVV})"
    )


# After a card number the match is anchored where the card ends, so a value cannot start in
# the middle of a number; before one, the search could, hence "not the end of 2026/12/27".
_ITEM_AFTER = re.compile(rf"{_GAP}(?:{_item(r'(?<!\d)')})", re.IGNORECASE)
_ITEM_BEFORE = re.compile(
    rf"(?:{_item(r'(?<!\d)(?<!\d[/.,-])')}){_GAP}(?:{_CARD_LABEL})?\Z", re.IGNORECASE
)
# The halves of an expiry date that a digit run leaves out: "12/" before it, "/27" after it.
_MONTH_BEFORE = re.compile(rf"(?<!\d)(?<!\d[/.,-]){_MONTH}[ \t]?/[ \t]?\Z")
_YEAR_AFTER = re.compile(r"[ \t]?/[ \t]?(?:\d{4}|\d{2})(?!\d)(?![/.-]\d)")
# How far before a card number a CVV or expiry date is looked for.
_BEFORE_WINDOW = 120

# Groupings printed on cards: when the longest Luhn-valid reading has one of these shapes it
# is taken as written, even if a shorter reading is valid too ("4111 1111 1111 1111").
_CARD_GROUPINGS = ((4, 4, 4, 4), (4, 6, 5), (4, 6, 4))


@dataclass(frozen=True)
class CardRedaction:
    """Free text with card numbers masked, and what was found and removed."""

    text: str
    cards: int = 0
    removed: int = 0  # CVV-like codes, expiry dates and stray card digits next to a card

    @property
    def changed(self) -> bool:
        return bool(self.cards)


@dataclass(frozen=True)
class _Card:
    """A masked span of the text and the card number it shows the last four digits of."""

    start: int
    end: int
    last_four: str
    before: bool  # digits before the card number inside the span (removed with it)
    after: bool  # digits after it inside the span: a CVV or expiry date, or more card digits


def _month(part: str) -> bool:
    return len(part) <= 2 and 1 <= int(part) <= 12


def _trailer(parts: list[str]) -> bool:
    """Whether digit groups after a card number read as its CVV and/or expiry date.

    At most one CVV (3–4 digits) and one expiry (a month, then a 2- or 4-digit year unless
    the year lies outside the groups looked at), in either order.
    """
    seen: set[str] = set()
    index = 0
    while index < len(parts):
        if "expiry" not in seen and _month(parts[index]):
            seen.add("expiry")
            index += 1
            if index < len(parts) and len(parts[index]) in (2, 4):
                index += 1
        elif "cvv" not in seen and len(parts[index]) in (3, 4):
            seen.add("cvv")
            index += 1
        else:
            return False
    return bool(seen)


def _reading(
    cluster: list[tuple[int, int]], parts: list[str], *, year_first: bool
) -> tuple[int, int]:
    """Which of overlapping Luhn-valid group sequences of one span is the card number.

    "4111 1111 1111 1111 123" reads as a 19-digit card, or as a 16-digit card and its CVV.
    A reading that starts the span and is grouped as cards are printed wins ("4111 1111
    1111 1111" whose first 12 digits also pass Luhn); otherwise, of the readings that leave
    only CVV- or expiry-shaped groups around them in the span, the one that ends first, so
    that a CVV is never shown as "the last four" (showing four digits of a card that are not
    its last is harmless). `year_first`: the span's first group is the year of an expiry
    date whose month stands just before the span ("exp 12/27 4111…"), never card digits.
    """
    span_first = cluster[0][0]
    span_last = max(last for _, last in cluster)
    pool = [c for c in cluster if c[0] != span_first] if year_first else cluster
    pool = pool or cluster

    def size(candidate: tuple[int, int]) -> tuple[int, int]:
        first, last = candidate
        return sum(len(part) for part in parts[first : last + 1]), first

    def leader(candidate: tuple[int, int]) -> list[str]:
        groups = parts[span_first : candidate[0]]
        return groups[1:] if year_first else groups

    def explained(candidate: tuple[int, int]) -> bool:
        head, tail = leader(candidate), parts[candidate[1] + 1 : span_last + 1]
        return (not head or _trailer(head)) and (not tail or _trailer(tail))

    printed = [
        c
        for c in pool
        if not leader(c) and tuple(len(part) for part in parts[c[0] : c[1] + 1]) in _CARD_GROUPINGS
    ]
    if printed:
        return max(printed, key=size)
    plausible = [c for c in pool if explained(c)]
    if plausible:
        # The earliest end: no group after it is shown, and under any other reading the
        # digits it shows are card digits too, never a CVV.
        return min(plausible, key=lambda c: (c[1], size(c)))
    return max(pool, key=size)


def _cards_in(text: str) -> list[_Card]:
    """Every masked span of `text`: overlapping Luhn-valid readings merge into one span.

    An expiry date split by the span goes with it: "12/" before it when its year starts
    the span, "/27" after it when its month ends the span.
    """
    cards: list[_Card] = []
    for run in _NOTE_DIGIT_RUN.finditer(text):
        if len(run.group()) < 12:
            continue
        groups = list(DIGIT_GROUP.finditer(run.group()))
        parts = [group.group() for group in groups]
        month_before = _MONTH_BEFORE.search(text, max(0, run.start() - 8), run.start())
        for cluster in _clusters(parts):
            span_first, span_last = cluster[0][0], max(c[1] for c in cluster)
            month_at = _month_of_leading_year(parts, span_first, month_before)
            first, last = _reading(cluster, parts, year_first=month_at is not None)
            start = run.start() + groups[span_first].start()
            if month_at is not None and first > span_first:
                if month_at >= 0:
                    start = run.start() + groups[month_at].start()
                elif month_before is not None:
                    start = month_before.start()
            # A month hidden with the card takes its year along ("… 1111 12 27", "… 1111 1/27").
            month_last = span_last > last and _month(parts[span_last])
            if month_last and _year_at(parts, span_last + 1):
                span_last += 1
            end = run.start() + groups[span_last].end()
            if month_last and span_last == len(parts) - 1:
                year = _YEAR_AFTER.match(text, end)
                end = year.end() if year else end
            cards.append(
                _Card(
                    start=start,
                    end=end,
                    last_four="".join(parts[first : last + 1])[-4:],
                    before=span_first < first,
                    after=span_last > last,
                )
            )
    return cards


def _month_of_leading_year(
    parts: list[str], span_first: int, month_before: re.Match[str] | None
) -> int | None:
    """If the span's first group is the year of an expiry date: the group index of its
    month in the run, or -1 when the month stands before the run ("12/27 4111…")."""
    if len(parts[span_first]) not in (2, 4):
        return None
    if span_first == 0:
        return -1 if month_before is not None else None
    month = span_first - 1
    if not _month(parts[month]):
        return None
    # Read left to right: in "12/01 0000 …" or "12-01 0000 …" the group before the span is
    # the year of an earlier date, not a month.
    if month == 0:
        return None if month_before is not None else month
    return None if len(parts[month]) == 2 and _month(parts[month - 1]) else month


def _year_at(parts: list[str], index: int) -> bool:
    """Whether group `index` is the year of the month before it, not the next date's month."""
    if index >= len(parts) or len(parts[index]) not in (2, 4):
        return False
    next_is_year = index + 1 < len(parts) and len(parts[index + 1]) in (2, 4)
    return not (_month(parts[index]) and next_is_year)


def _clusters(parts: list[str]) -> list[list[tuple[int, int]]]:
    """Luhn-valid sequences of 12–19 digits of whole groups, overlapping ones together."""
    clusters: list[list[tuple[int, int]]] = []
    for first in range(len(parts)):
        size = 0
        for last in range(first, len(parts)):
            size += len(parts[last])
            if size > 19:
                break
            if size >= 12 and luhn_valid("".join(parts[first : last + 1])):
                if clusters and first <= max(c[1] for c in clusters[-1]):
                    clusters[-1].append((first, last))
                else:
                    clusters.append([(first, last)])
    return clusters


def _value_span(match: re.Match[str]) -> tuple[str, int, int]:
    kind = "cvv" if match.group("cvv") is not None else "expiry"
    name = next(name for name in ("expiry", "labelled_expiry", "cvv") if match.group(name))
    return kind, match.start(name), match.end(name)


def _items_after(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of a CVV and an expiry date right after a card number (at most one of each)."""
    found: list[tuple[int, int]] = []
    kinds: set[str] = set()
    position = start
    while len(found) < 2:
        match = _ITEM_AFTER.match(text, position, end)
        if match is None:
            break
        kind, value_start, value_end = _value_span(match)
        if kind in kinds:
            break
        kinds.add(kind)
        found.append((value_start, value_end))
        position = value_end
    return found


def _items_before(text: str, floor: int, start: int) -> list[tuple[int, int]]:
    """Spans of a CVV and an expiry date right before a card number (at most one of each)."""
    found: list[tuple[int, int]] = []
    kinds: set[str] = set()
    end = start
    while len(found) < 2:
        match = _ITEM_BEFORE.search(text, max(floor, end - _BEFORE_WINDOW), end)
        if match is None:
            break
        kind, value_start, value_end = _value_span(match)
        if kind in kinds:
            break
        kinds.add(kind)
        found.insert(0, (value_start, value_end))
        end = match.start()
    return found


def redact_card_data(text: str) -> CardRedaction:
    """Mask card numbers to their last four digits and remove a CVV or expiry next to one.

    A card number is 12–19 digits that pass Luhn, with any spacing or dashes between digit
    groups. A CVV (3–4 digits, optionally labelled "cvv", "cvc", "csc", "security code"…) or
    an expiry date ("12/27", "12/2027", "12-27", "exp 1227"…) right before or after one is
    replaced by CARD_DATA_REMOVED; its label stays, so the reader sees what was there. Numbers
    that are not next to a card number, and Luhn-invalid numbers, are left alone.
    """
    cards = _cards_in(text)
    if not cards:
        return CardRedaction(text=text)
    pieces: list[str] = []
    removed = 0
    position = 0
    for index, card in enumerate(cards):
        following = cards[index + 1].start if index + 1 < len(cards) else len(text)
        for value_start, value_end in _items_before(text, position, card.start):
            pieces += [text[position:value_start], CARD_DATA_REMOVED]
            position = value_end
            removed += 1
        pieces.append(text[position : card.start])
        if card.before:
            pieces.append(CARD_DATA_REMOVED + " ")
        pieces.append(CARD_MASK_PREFIX + card.last_four)
        if card.after:
            pieces.append(" " + CARD_DATA_REMOVED)
        removed += card.before + card.after
        position = card.end
        for value_start, value_end in _items_after(text, card.end, following):
            pieces += [text[position:value_start], CARD_DATA_REMOVED]
            position = value_end
            removed += 1
    pieces.append(text[position:])
    return CardRedaction(text="".join(pieces), cards=len(cards), removed=removed)
