"""Customer records: list, create, retrieve, partial update. Every response is masked."""

from __future__ import annotations

import uuid

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccplatform.api.pagination import StandardPagination
from ccplatform.api.schema import VALIDATION_RESPONSES
from ccplatform.callers import caller_of
from customers.api.permissions import (
    CustomerRecordAccess,
    CustomersCreate,
    CustomersRead,
    CustomersUpdate,
)
from customers.api.serializers import (
    INTEGRITY_RESPONSE,
    CustomerValuesInput,
    MaskedCustomerSerializer,
)
from customers.api.views.common import SharedUrl, integrity_checked, masked_record
from customers.selectors import customer_get_for, customers_visible_to
from customers.services.access_log import customers_listed
from customers.services.records import customer_create, customer_update, customer_viewed

TAG = ["customers"]

CustomerPage = inline_serializer(
    "CustomerPage",
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": MaskedCustomerSerializer(many=True),
    },
)
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Rows per page: {StandardPagination.page_size} by default, "
        f"{StandardPagination.max_page_size} at most.",
    ),
]


class CustomerListApi(APIView):
    """The customers the caller may see, newest first, masked; one audit event per page."""

    permission_classes = [CustomersRead]

    @extend_schema(
        tags=TAG,
        operation_id="customers_list",
        summary="List customers (masked)",
        description=(
            "Customers in the caller's need-to-know scope: an agent's teams and assigned "
            "customers, a supervisor's teams, every customer for keys with `customers:read`. "
            "Values are masked; medical fields appear only for people with the medical "
            "permission. Each page is audited (`customer.listed`) with the ids shown."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: CustomerPage, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        paginator = StandardPagination()
        visible = customers_visible_to(caller_of(request))
        page = paginator.paginate_queryset(visible, request, view=self) or []
        rows = [masked_record(request, customer, "list") for customer in page]
        customers_listed(
            caller=caller_of(request),
            customer_ids=[str(row["id"]) for row in rows],
            page=paginator.page.number if paginator.page else 1,
        )
        return paginator.get_paginated_response(MaskedCustomerSerializer(rows, many=True).data)


class CustomerCreateApi(APIView):
    """Create a customer in one of the caller's teams (any team for integrator keys)."""

    permission_classes = [CustomersCreate]

    @extend_schema_serializer(component_name="CustomerCreateInput")
    class InputSerializer(CustomerValuesInput):
        team = serializers.UUIDField(help_text="People: one of their teams. Keys: any team.")

    @extend_schema(
        tags=TAG,
        operation_id="customers_create",
        summary="Create a customer",
        description=(
            "Only the fields below are accepted; any other key (including read-only ones such "
            "as `id`) is refused with a 400 naming it. A full card number in any field is "
            "refused: store a card token and the last 4 digits. Medical fields need the "
            "medical permission (people) or `customers:write` (keys): otherwise 403. Audited "
            "as `customer.created` with the names of the fields set."
        ),
        request=InputSerializer,
        responses={201: MaskedCustomerSerializer, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        team_id = values.pop("team")
        customer = customer_create(caller=caller_of(request), team_id=team_id, values=values)
        record = masked_record(request, customer, "create")
        location = reverse("api-customer", kwargs={"customer_id": customer.pk})
        return Response(
            MaskedCustomerSerializer(record).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class CustomersApi(SharedUrl, CustomerListApi, CustomerCreateApi):
    """/customers/: GET lists (CustomerListApi), POST creates (CustomerCreateApi)."""


class CustomerRetrieveApi(APIView):
    """One customer, masked; audited as `customer.viewed`."""

    permission_classes = [CustomerRecordAccess]

    @extend_schema(
        tags=TAG,
        operation_id="customers_retrieve",
        summary="Get a customer (masked)",
        description=(
            "A customer outside the caller's scope and a missing id give the same 404, and "
            "the attempt is audited (`access.denied`, rule `customers.visible`)."
        ),
        responses={200: MaskedCustomerSerializer, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def get(self, request: Request, customer_id: uuid.UUID) -> Response:
        customer = customer_get_for(caller_of(request), customer_id)
        record = masked_record(request, customer, "retrieve")
        customer_viewed(caller=caller_of(request), customer=customer)
        return Response(MaskedCustomerSerializer(record).data)


class CustomerUpdateApi(APIView):
    """Change some fields of a customer; searchable fields get new lookups."""

    permission_classes = [CustomersUpdate]

    @extend_schema_serializer(component_name="CustomerUpdateInput")
    class InputSerializer(CustomerValuesInput):
        read_only_names = CustomerValuesInput.read_only_names | {"team"}

    @extend_schema(
        tags=TAG,
        operation_id="customers_partial_update",
        summary="Update some fields of a customer",
        description=(
            "Send only the fields to change; `null` clears an optional field. The team "
            "cannot be changed here. Medical fields need the medical permission (people) or "
            "`customers:write` (keys): otherwise 403. Audited as `customer.updated` with the "
            "field names. Keys need `customers:write`, and `customers:read` to reach the "
            "record."
        ),
        request=InputSerializer(partial=True),
        responses={200: MaskedCustomerSerializer, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def patch(self, request: Request, customer_id: uuid.UUID) -> Response:
        customer = customer_get_for(caller_of(request), customer_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        with integrity_checked(request, customer, "update"):
            customer = customer_update(caller=caller_of(request), customer=customer, values=values)
        return Response(MaskedCustomerSerializer(masked_record(request, customer, "update")).data)


class CustomerApi(SharedUrl, CustomerRetrieveApi, CustomerUpdateApi):
    """/customers/{id}/: GET retrieves (CustomerRetrieveApi), PATCH updates (CustomerUpdateApi)."""
