"""The registry of audit actions: every action is declared once, with its category and severity.

A producer records a declared `Action` (never a string): `audit_record(action=CUSTOMER_VIEWED,
...)`; recording anything else fails at once. Each app declares its own actions in its
`actions.py` (imported by its AppConfig.ready), the audit log's are at the end of this
module. Monitoring rules select events by category (`names_in(Category.RECORD_READ)`), so a
renamed or new action reaches them without anyone retyping a name, and the API documents the
actions from here (`catalogue()`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class Category(StrEnum):
    """What kind of event an action is; monitoring rules and the log's pages group by it."""

    SIGN_IN = "sign_in"  # a sign-in step passed, a session ended
    SIGN_IN_FAILURE = "sign_in_failure"  # a password or second-factor step failed
    LOCKOUT = "lockout"  # an account locked after repeated failures
    SESSION = "session"  # sessions listed, ended by their owner
    CREDENTIAL = "credential"  # passwords and second factors
    ACCOUNT = "account"  # people, roles, teams
    API_KEY = "api_key"  # integrator keys
    ACCESS_DENIED = "access_denied"  # a refusal by an access rule or a limit
    RECORDS_NAMED = "records_named"  # a list page or a search named customers (masked)
    RECORD_READ = "record_read"  # one customer's (masked) record or history shown
    RECORD_REVEALED = "record_revealed"  # plaintext of a customer's fields shown
    RECORD_WRITE = "record_write"  # customer data created or changed
    BREAK_GLASS = "break_glass"  # emergency access outside the need-to-know scope
    CARD_DATA = "card_data"  # card numbers found and masked in free text
    INTEGRITY = "integrity"  # stored data failed its integrity check
    KEYS = "keys"  # encryption and blind-index keys
    AUDIT_LOG = "audit_log"  # the log itself: verified, searched, exported, archived
    ALERT = "alert"  # monitoring alerts
    INCIDENT = "incident"  # the breach workflow: register, clocks, notices, containment
    RESTRICTION = "restriction"  # customers sealed (no reveal) or released


class ActionSeverity(StrEnum):
    """How much an event matters on its own (syslog: 6, 5, 4, 2)."""

    INFO = "info"
    NOTICE = "notice"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Action:
    """One kind of audit event: `name` is what the log stores (a dotted verb)."""

    name: str
    category: Category
    severity: ActionSeverity
    summary: str

    def __str__(self) -> str:
        return self.name


class UndeclaredActionError(Exception):
    """An action that is not in the registry was recorded or looked up (a programming error)."""


_REGISTRY: dict[str, Action] = {}


def declare(name: str, category: Category, severity: ActionSeverity, summary: str) -> Action:
    """Declare an action once; a second declaration of the same name is an error."""
    if not _NAME.match(name):
        raise ValueError(f"audit action {name!r} is not a dotted verb such as 'user.created'")
    if name in _REGISTRY:
        raise ValueError(f"audit action {name!r} is declared twice")
    if not summary.strip():
        raise ValueError(f"audit action {name!r} needs a summary")
    action = Action(name, Category(category), ActionSeverity(severity), summary.strip())
    _REGISTRY[name] = action
    return action


def is_declared(action: object) -> bool:
    return isinstance(action, Action) and _REGISTRY.get(action.name) is action


def declared(name: str) -> Action:
    """The action stored as `name` (UndeclaredActionError for a name nobody declared)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UndeclaredActionError(f"audit action {name!r} is not declared") from None


def catalogue() -> list[Action]:
    """Every declared action, by name."""
    return sorted(_REGISTRY.values(), key=lambda action: action.name)


def names_in(*categories: Category) -> tuple[str, ...]:
    """The names of the actions of these categories, sorted (for `action__in=` filters)."""
    wanted = set(categories)
    return tuple(sorted(name for name, action in _REGISTRY.items() if action.category in wanted))


INFO, NOTICE, WARNING, CRITICAL = (
    ActionSeverity.INFO,
    ActionSeverity.NOTICE,
    ActionSeverity.WARNING,
    ActionSeverity.CRITICAL,
)

# --- The audit log's own actions --------------------------------------------------------

ACCESS_DENIED = declare(
    "access.denied",
    Category.ACCESS_DENIED,
    WARNING,
    "An access rule refused a caller: details say which rule, through which entry point "
    "(page, api, admin, task, command), on what, and why.",
)
AUDIT_VERIFIED = declare(
    "audit.verified", Category.AUDIT_LOG, INFO, "The hash chains were verified (failed if broken)."
)
AUDIT_SEARCHED = declare(
    "audit.searched", Category.AUDIT_LOG, INFO, "A page of the audit log was shown (filter only)."
)
AUDIT_EVENT_VIEWED = declare(
    "audit.event_viewed", Category.AUDIT_LOG, INFO, "One audit event was shown."
)
AUDIT_EXPORTED = declare(
    "audit.exported",
    Category.AUDIT_LOG,
    NOTICE,
    "Audit events were downloaded (CSV or JSON Lines).",
)
AUDIT_CHECKPOINTS_VIEWED = declare(
    "audit.checkpoints_viewed", Category.AUDIT_LOG, INFO, "The signed checkpoints were listed."
)
AUDIT_ARCHIVE_SEALED = declare(
    "audit.archive_sealed", Category.AUDIT_LOG, NOTICE, "A range of the log was sealed into a file."
)
AUDIT_ARCHIVE_DROPPED = declare(
    "audit.archive_dropped",
    Category.AUDIT_LOG,
    WARNING,
    "A sealed range was deleted from the table (kept in its archive file).",
)
ALERT_RAISED = declare(
    "alert.raised", Category.ALERT, WARNING, "A monitoring rule raised an alert."
)
ALERT_LISTED = declare("alert.listed", Category.ALERT, INFO, "The alert queue was shown.")
ALERT_ACKNOWLEDGED = declare(
    "alert.acknowledged", Category.ALERT, INFO, "Someone took an alert in hand."
)
ALERT_CLOSED = declare("alert.closed", Category.ALERT, NOTICE, "An alert was closed with a note.")
