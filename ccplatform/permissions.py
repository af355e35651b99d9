"""The access rules: `can_*` predicates over a `Caller`, each the single source of its rule.

A predicate answers with a `Decision`, which is truthy when allowed and otherwise says which
rule refused (`rule`), why (`why`, a short code for the audit log) and what to tell the
person (`message`). Each app's `permissions.py` declares its predicates with `@rule(name)`;
pages, the API, the admin, templates and services all ask those same functions, through the
thin wrappers of ccplatform.gate.

Most rules have one shape, built by `check`: a person holding a permission, an API key
holding a scope, or (for a few) the system. On top of that shape, *requirements* apply to
every rule of a level: a requirement added here (say, "no personal data while training is
overdue") reaches every entry point at once. Apps add theirs from AppConfig.ready.

Deny by default: every view declares who may call it (`declare_permission`, set by the gate's
wrappers); tests/ccplatform/test_url_permissions.py walks the URL conf and fails for any
endpoint that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import wraps
from typing import Any, Concatenate

from ccplatform.callers import Caller
from ccplatform.scopes import Scope

# --- Decisions ---------------------------------------------------------------------------

NOT_ALLOWED = "You do not have permission to do this."


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused by `rule` because of `why` (with a message safe to show)."""

    allowed: bool
    rule: str = ""
    why: str = ""
    message: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def under(self, rule: str) -> Decision:
        """The same answer, attributed to `rule` (the rule the caller actually asked)."""
        return replace(self, rule=rule)


ALLOWED = Decision(True)


def deny(why: str, message: str = NOT_ALLOWED) -> Decision:
    return Decision(False, why=why, message=message)


def allow_if(condition: bool, why: str, message: str = NOT_ALLOWED) -> Decision:
    return ALLOWED if condition else deny(why, message)


def first_refusal(*decisions: Decision) -> Decision:
    """All must allow: the first refusal among `decisions`, else allowed."""
    return next((decision for decision in decisions if not decision), ALLOWED)


def any_of(*decisions: Decision) -> Decision:
    """One is enough: allowed if any allows, else the last refusal (the narrowest rule)."""
    return next((decision for decision in decisions if decision), decisions[-1])


# --- Named rules -------------------------------------------------------------------------

_RULES: dict[str, Callable[..., Decision]] = {}


type PredicateOf[**P] = Callable[Concatenate[Caller, P], Decision]


def rule[**P](name: str) -> Callable[[PredicateOf[P]], PredicateOf[P]]:
    """Declare a predicate under `name` ("customers.reveal"); its refusals carry that name."""

    def register(predicate: PredicateOf[P]) -> PredicateOf[P]:
        if name in _RULES:
            raise ValueError(f"access rule {name!r} is declared twice")

        @wraps(predicate)
        def named(caller: Caller, /, *args: P.args, **kwargs: P.kwargs) -> Decision:
            decision = predicate(caller, *args, **kwargs)
            return decision if decision else decision.under(name)

        named.rule_name = name  # type: ignore[attr-defined]
        _RULES[name] = named
        return named

    return register


def rule_name(predicate: Callable[..., Decision]) -> str:
    name = getattr(predicate, "rule_name", None)
    if not isinstance(name, str):
        raise TypeError(f"{predicate!r} is not declared with @rule(name)")
    return name


def declared_rules() -> dict[str, Callable[..., Decision]]:
    """Every predicate declared so far, by name (apps declare theirs when imported)."""
    return dict(_RULES)


# --- Requirements: conditions every rule of a level adds -----------------------------------


class Level(StrEnum):
    CALLER = "caller"  # every person and every key
    PERSON = "person"  # every person
    # Every rule that shows or changes customers' personal data in plain text (masked reads
    # are not among them): where "no personal data while training is overdue" belongs.
    PERSONAL_DATA = "personal_data"


type Requirement = Callable[[Caller], Decision]
_REQUIREMENTS: dict[Level, dict[str, Requirement]] = {level: {} for level in Level}


def add_requirement(level: Level, name: str, check: Requirement) -> None:
    """Make every rule of `level` also ask `check` (named, so it can be listed and removed)."""
    if name in _REQUIREMENTS[level]:
        raise ValueError(f"requirement {name!r} is registered twice")
    _REQUIREMENTS[level][name] = check


def remove_requirement(level: Level, name: str) -> None:
    _REQUIREMENTS[level].pop(name, None)


@contextmanager
def requirement(level: Level, name: str, check: Requirement) -> Iterator[None]:
    """A requirement for the duration of a block (for drills and tests)."""
    add_requirement(level, name, check)
    try:
        yield
    finally:
        remove_requirement(level, name)


def requirements(level: Level) -> dict[str, Requirement]:
    return dict(_REQUIREMENTS[level])


def _requirements_met(caller: Caller, levels: tuple[Level, ...]) -> Decision:
    for level in levels:
        for check in _REQUIREMENTS[level].values():
            decision = check(caller)
            if not decision:
                return decision
    return ALLOWED


# --- The common shape of a rule ------------------------------------------------------------

ANY = "*"  # any person, or any key, whatever it holds
SIGN_IN = "Sign in with your password and second factor."
SYSTEM_ONLY = "Only the platform's own tasks and commands do this."


def check(
    caller: Caller,
    *,
    person: str | None = None,
    key: Scope | str | None = None,
    system: bool = False,
    personal_data: bool = False,
    message: str = NOT_ALLOWED,
) -> Decision:
    """A person holding permission `person` (or ANY person), a key holding scope `key` (or
    ANY key), or, when `system`, a task or command; plus the requirements of each level.

    `personal_data` marks rules that show or change customers' personal data in plain text:
    the PERSONAL_DATA requirements apply to them (and to no other rule). `message` is what a
    person is told when they lack the permission (a requirement says its own).
    """
    if key is not None and key != ANY:
        Scope(key)  # an unknown scope name is a programming error, found by any test
    if caller.is_anonymous:
        return deny("not_signed_in", SIGN_IN)
    if caller.is_system:
        return allow_if(system, "not_for_the_system")
    if caller.is_person:
        if person is None:
            told = "This is for integrations with an API key." if key else SYSTEM_ONLY
            return deny("people_not_allowed", told)
        if person != ANY and not caller.has_perm(person):
            return deny(f"missing_permission:{person}", message)
        levels: tuple[Level, ...] = (Level.CALLER, Level.PERSON)
    else:
        if key is None:
            told = "API keys cannot do this; it is for people." if person else SYSTEM_ONLY
            return deny("keys_not_allowed", told)
        if key != ANY and not caller.has_scope(key):
            return deny(f"missing_scope:{key}", f"This API key lacks the scope {key}.")
        levels = (Level.CALLER,)
    return _requirements_met(caller, (*levels, Level.PERSONAL_DATA) if personal_data else levels)


# --- Deny by default: what every view declares ------------------------------------------

PERMISSION_ATTRIBUTE = "ccplatform_permission"
PUBLIC = "public"


def declare_permission[View: Callable[..., Any]](view: View, rule: str) -> View:
    """Record `rule` (a rule name, or 'public') on `view`, for the URL walk."""
    setattr(view, PERMISSION_ATTRIBUTE, rule)
    return view


def public_endpoint[View: Callable[..., Any]](view: View) -> View:
    """Mark a view as reachable without signing in. Such a view must show no data."""
    return declare_permission(view, PUBLIC)


def declared_permission(view: Callable[..., Any]) -> str | None:
    """The rule a view declared, or None."""
    declared = getattr(view, PERMISSION_ATTRIBUTE, None)
    return declared if isinstance(declared, str) else None


# --- Templates ask the same predicates ---------------------------------------------------


class UnknownRuleError(Exception):
    """A template asked for a rule nobody declared (a typo must not hide a button silently)."""


class Abilities:
    """`{% if can.customers.reveal %}` in a template: the rule "customers.reveal", asked for
    the page's caller (rules that need more than the caller cannot be asked this way)."""

    def __init__(self, caller: Caller) -> None:
        self._caller = caller
        self._answers: dict[str, bool] = {}

    def __getitem__(self, app: str) -> _AppAbilities:
        return _AppAbilities(self, app)

    def allowed(self, name: str) -> bool:
        if name not in self._answers:
            predicate = _RULES.get(name)
            if predicate is None:
                raise UnknownRuleError(f"no access rule named {name!r}")
            self._answers[name] = bool(predicate(self._caller))
        return self._answers[name]


class _AppAbilities:
    def __init__(self, abilities: Abilities, app: str) -> None:
        self._abilities, self._app = abilities, app

    def __getitem__(self, name: str) -> bool:
        return self._abilities.allowed(f"{self._app}.{name}")


# --- The platform's own rules --------------------------------------------------------------


@rule("platform.use")
def can_use_platform(caller: Caller) -> Decision:
    """Any person signed in with both factors, or any valid API key (the API's status call)."""
    return check(caller, person=ANY, key=ANY)


@rule("platform.rotate_keys")
def can_rotate_keys(caller: Caller) -> Decision:
    """Re-wrap data keys and recompute lookups: an operator's command or a task (the system)."""
    return check(caller, system=True)
