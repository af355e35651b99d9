"""Demo data of the breach workflow: a client with a contractual clock, and a tabletop
exercise reported two hours ago, to walk through the workflow (its clocks run like a real
incident's, flagged as an exercise; it is left out of the figures).

Made through the services (audited like everything else), once: looked up by name first.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Team
from ccplatform.callers import Caller
from incidents.models import Client, Incident, OpenedVia
from incidents.services.clients import client_save
from incidents.services.register import Report, incident_open

DEMO_CLIENT = "Northwind Health"
EXERCISE_TITLE = "Tabletop: an agent's laptop is stolen from a car"


def demo_incidents_seed(*, seeder: Caller, officer: Caller, team: Team) -> int:
    """Create the demo client and exercise if missing; how many records were created."""
    created = 0
    if not Client.objects.filter(name=DEMO_CLIENT).exists():
        client_save(
            caller=seeder,
            client=Client(),
            name=DEMO_CLIENT,
            contact="privacy@northwind-health.example",
            notify_within_hours=24,
            teams=[team],
        )
        created += 1
    if not Incident.objects.filter(title=EXERCISE_TITLE, is_exercise=True).exists():
        when = timezone.now() - timedelta(hours=3)
        incident_open(
            caller=officer,
            report=Report(
                title=EXERCISE_TITLE,
                nature="confidentiality",
                kind="loss",
                severity="medium",
                risk="risk",
                discovered_at=when,
                aware_at=when + timedelta(hours=1),
                data_categories=["contact"],
                team_ids=[str(team.pk)],
                is_exercise=True,
                description="PCI DSS 12.10.2 yearly test of the response plan: walk the "
                "workflow from report to review with the team leads.",
            ),
            via=OpenedVia.PAGE,
        )
        created += 1
    return created
