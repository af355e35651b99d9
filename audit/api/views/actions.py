"""The actions the audit log records, as declared in the registry (audit.actions)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actions import Action, catalogue
from audit.api.permissions import CanReadEvents
from audit.api.queries import validate_query
from audit.api.serializers import ActionList, ActionSerializer
from ccplatform.api.schema import VALIDATION_RESPONSES

TAG = ["audit"]


def catalogue_text(actions: list[Action]) -> str:
    """The registry as a Markdown table, for the API documentation."""
    rows = [
        f"| `{action.name}` | {action.category} | {action.severity} | {action.summary} |"
        for action in actions
    ]
    return "\n".join(
        ["| action | category | severity | what it records |", "|---|---|---|---|", *rows]
    )


class ActionListApi(APIView):
    """Every action an audit event can have, with its category and severity."""

    permission_classes = [CanReadEvents]

    @extend_schema(
        tags=TAG,
        operation_id="audit_actions_list",
        summary="List the audit actions",
        description=(
            "Every action the platform records, declared once in its registry: filter the "
            "events by these names (`action=`), or by a prefix such as `customer.*`; a SIEM "
            "can map the severity. Generated from the registry:\n\n" + catalogue_text(catalogue())
        ),
        responses={200: ActionList, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        validate_query(request)
        rows = [
            {
                "name": action.name,
                "category": str(action.category),
                "severity": str(action.severity),
                "summary": action.summary,
            }
            for action in catalogue()
        ]
        return Response({"results": ActionSerializer(rows, many=True).data})
