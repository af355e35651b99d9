"""Find and mask personal values in free text.

`scrubbing` serves the log processor and the audit log (nothing personal reaches a log line
or an event): card numbers masked to their last four digits, emails replaced. `card_data`
scans stored free text (notes, interaction summaries) harder and also removes a CVV or an
expiry date next to a card number.
"""

from ccplatform.redaction.card_data import (
    CARD_DATA_REMOVED,
    CARD_SCANNER_VERSION,
    CardRedaction,
    redact_card_data,
)
from ccplatform.redaction.scrubbing import (
    CARD_MASK_PREFIX,
    EMAIL_MASK,
    Redaction,
    luhn_valid,
    mask_card_numbers,
    redact,
)

__all__ = [
    "CARD_DATA_REMOVED",
    "CARD_MASK_PREFIX",
    "CARD_SCANNER_VERSION",
    "EMAIL_MASK",
    "CardRedaction",
    "Redaction",
    "luhn_valid",
    "mask_card_numbers",
    "redact",
    "redact_card_data",
]
