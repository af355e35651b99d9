"""Proving the log intact: run a verification, and read the signed checkpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.api.permissions import CanVerifyChains
from audit.api.queries import validate_query
from audit.api.serializers import CheckpointPage, CheckpointSerializer, VerificationSerializer
from audit.models import Checkpoint
from audit.services.reads import checkpoints_listed
from audit.services.verification import audit_verify
from ccplatform.api.pagination import StandardPagination
from ccplatform.api.schema import VALIDATION_RESPONSES
from ccplatform.callers import caller_of

TAG = ["audit"]
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Rows per page: {StandardPagination.page_size} by default, "
        f"{StandardPagination.max_page_size} at most.",
    ),
]
PAGE_NAMES = frozenset({"page", "page_size", "format"})


class _VerifyOptions(serializers.Serializer[dict[str, Any]]):
    full = serializers.BooleanField(default=False)


class VerifyChainsApi(APIView):
    """Walk the hash chains now and report the first broken link of each."""

    permission_classes = [CanVerifyChains]

    @extend_schema(
        tags=TAG,
        operation_id="audit_verify",
        summary="Verify the audit log's hash chains",
        description=(
            "By default incremental: each chain from its newest signed checkpoint, which is "
            "quick. `full=true` walks every chain from its first link and re-checks every "
            "checkpoint; on a large log that takes a while (about 145,000 events a second) "
            "and may outlast an HTTP timeout, so on a big log rely on the scheduled daily full "
            "run (`audit.tasks.verify_all`, AUDIT_FULL_VERIFY_HOUR). This call signs no new "
            "checkpoints. Each run is stored and audited (`audit.verified`); a broken chain "
            "raises a critical alert, whose id is in `alerts`."
        ),
        parameters=[
            OpenApiParameter(
                "full",
                OpenApiTypes.BOOL,
                description="Walk every chain from its first link (slow on a big log).",
            )
        ],
        responses={200: VerificationSerializer, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        options = _VerifyOptions(data=request.query_params)
        validate_query(request, options=options)
        verified = audit_verify(
            caller=caller_of(request),
            full=options.validated_data["full"],
            trigger="api",
            make_checkpoints=False,
        )
        return Response(
            VerificationSerializer(verified.run, context={"alerts": verified.alerts}).data
        )


class CheckpointListApi(APIView):
    """The signed checkpoints, oldest first, to keep a copy away from this machine."""

    permission_classes = [CanVerifyChains]

    @extend_schema(
        tags=TAG,
        operation_id="audit_checkpoints_list",
        summary="List the signed checkpoints",
        description=(
            "Oldest first, so pages already fetched never change: store them elsewhere and "
            "continue from the last page later. A copy held off the machine catches even a "
            "rewrite of the checkpoint table. "
            "Audited as `audit.checkpoints_viewed`."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: CheckpointPage, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        validate_query(request, also_known=PAGE_NAMES)
        paginator = StandardPagination()
        checkpoints = Checkpoint.objects.order_by("id")
        page = paginator.paginate_queryset(checkpoints, request, view=self) or []
        checkpoints_listed(
            caller=caller_of(request),
            page=paginator.page.number if paginator.page else 1,
            shown=len(page),
        )
        return paginator.get_paginated_response(CheckpointSerializer(page, many=True).data)
