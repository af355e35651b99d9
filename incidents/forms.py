"""Forms of the incident pages: they parse what a person typed; the services decide.

Times are entered in UTC (the pages say so) with a browser date-time picker. Every form
hands its cleaned values to one service, whose ServiceError field messages are put back on
the fields they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from ccplatform.crypto.rotation import Kind as KeyRing
from incidents.models import DataCategory, Kind, Nature, Risk, Severity, Status

UTC_HELP = "UTC."
CHOOSE = ("", "Choose…")


class UTCDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def choose(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    """Set the choices of one of the form's choice fields (known when the form is made)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def put_errors(form: forms.Form, fields: Mapping[str, list[str]], message: str) -> None:
    """A service's field errors onto the form (unknown names become form-wide errors)."""
    if not fields:
        form.add_error(None, message)
    for name, problems in fields.items():
        target = name if name in form.fields else None
        for problem in problems:
            form.add_error(target, problem if target else f"{name.replace('_', ' ')}: {problem}")


class IncidentFactsForm(forms.Form):
    title = forms.CharField(max_length=200)
    nature = forms.ChoiceField(
        choices=[CHOOSE, *Nature.choices], help_text="Which property was breached."
    )
    kind = forms.ChoiceField(choices=[CHOOSE, *Kind.choices], label="What happened to the data")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.HIGH)
    risk = forms.ChoiceField(
        choices=Risk.choices, initial=Risk.RISK, label="Risk to people's rights and freedoms"
    )
    data_categories = forms.MultipleChoiceField(
        choices=DataCategory.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    systems = forms.CharField(max_length=300, required=False, help_text="Systems involved.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    consequences = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Likely consequences"
    )
    measures = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Measures taken or proposed",
    )
    team_ids = forms.MultipleChoiceField(
        required=False, label="Affected teams", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, teams: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "team_ids", teams)


class ReportForm(IncidentFactsForm):
    discovered_at = forms.DateTimeField(
        required=False,
        widget=UTCDateTimeInput(),
        help_text="UTC. Empty: the earliest linked alert's first event.",
    )
    discovered_reason = forms.CharField(
        required=False,
        max_length=500,
        label="Why another discovery time",
        help_text="Needed when it differs from the earliest alert.",
    )
    aware_at = forms.DateTimeField(
        required=False,
        widget=UTCDateTimeInput(),
        label="Aware at",
        help_text="UTC. When you became reasonably certain. Empty: now. GDPR's 72 hours "
        "run from here.",
    )
    alert_ids = forms.MultipleChoiceField(
        required=False, label="Evidence: monitoring alerts", widget=forms.CheckboxSelectMultiple
    )
    is_exercise = forms.BooleanField(
        required=False, label="This is an exercise (tabletop or test, PCI DSS 12.10.2)"
    )

    def __init__(self, *args: Any, alerts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "alert_ids", alerts)


class ClocksForm(forms.Form):
    """Move a clock: a reason is kept on the timeline."""

    discovered_at = forms.DateTimeField(widget=UTCDateTimeInput(), help_text=UTC_HELP)
    aware_at = forms.DateTimeField(widget=UTCDateTimeInput(), help_text=UTC_HELP)
    reason = forms.CharField(max_length=500, help_text="Why the clock moves.")


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Note")


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AffectedForm(forms.Form):
    user_id = forms.ChoiceField(required=False, label="A person's account")
    api_key_prefix = forms.CharField(required=False, max_length=20, label="An API key (prefix)")
    session_id = forms.CharField(
        required=False, max_length=32, label="A live session (its id in the session list)"
    )
    network = forms.CharField(
        required=False, max_length=64, label="Address range", help_text="e.g. 203.0.113.0/24"
    )
    since = forms.DateTimeField(required=False, widget=UTCDateTimeInput(), help_text=UTC_HELP)
    until = forms.DateTimeField(required=False, widget=UTCDateTimeInput(), help_text=UTC_HELP)

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "user_id", [("", "—"), *people])


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("filed", "Filed / sent"), ("not_required", "Not required")]
    )
    filed_at = forms.DateTimeField(
        required=False, widget=UTCDateTimeInput(), label="Sent or filed at", help_text=UTC_HELP
    )
    reference = forms.CharField(required=False, max_length=120, label="Reference")
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason",
        help_text="Why it is not required, or why it was late.",
    )
    approver_id = forms.ChoiceField(required=False, label="Approved by")
    exemption = forms.ChoiceField(
        required=False,
        choices=[("", "None"), ("encrypted", "Data unintelligible (encrypted), Art. 34(3)(a)")],
    )

    def __init__(self, *args: Any, approvers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "approver_id", [("", "—"), *approvers])


class DraftForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), max_length=20000)


class ContainmentForm(forms.Form):
    ACTIONS = [
        ("disable_users", "Disable accounts"),
        ("revoke_keys", "Revoke API keys"),
        ("end_team_sessions", "End a team's sessions"),
        ("seal_customers", "Seal the affected customers"),
        ("release_customers", "Release the sealed customers"),
        ("rotate_keys", "Start a key rotation"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(max_length=400)
    user_ids = forms.MultipleChoiceField(required=False, label="Accounts")
    prefixes = forms.CharField(required=False, label="API key prefixes (comma-separated)")
    team_id = forms.ChoiceField(required=False, label="Team")
    plaintext_only = forms.BooleanField(required=False, label="Only those seen in plain text")
    ring = forms.ChoiceField(required=False, choices=[(k.value, k.value) for k in KeyRing])

    def __init__(
        self, *args: Any, people: list[tuple[str, str]], teams: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "user_ids", people)
        choose(self, "team_id", [("", "—"), *teams])


class ReviewForm(forms.Form):
    cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Root cause")
    measures = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Measures taken")
    lessons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Lessons learnt")
    FOLLOW_UPS = 3


class FollowUpForm(forms.Form):
    action = forms.CharField(max_length=300, required=False, label="Follow-up action")
    owner_id = forms.ChoiceField(required=False, label="Owner")
    due_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due"
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "owner_id", [("", "—"), *people])
