"""Finding a customer (exact match, value in the body) and revealing masked fields."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccplatform.api.schema import VALIDATION_RESPONSES
from ccplatform.callers import caller_of
from ccplatform.crypto.blind_index import LookupKind
from customers.api.permissions import CustomersRead, CustomersReveal
from customers.api.serializers import (
    INTEGRITY_RESPONSE,
    FlatListField,
    MaskedCustomerSerializer,
    RevealedSerializer,
    StrictInput,
)
from customers.api.views.common import integrity_checked, masked_record
from customers.fields import REVEALABLE
from customers.selectors import customer_get_for
from customers.services.records import customer_reveal
from customers.services.search import customers_search

TAG = ["customers"]

SearchResults = inline_serializer(
    "CustomerSearchResults", {"results": MaskedCustomerSerializer(many=True)}
)


class CustomerSearchApi(APIView):
    """Customers with exactly this phone number, email or account number (blind index)."""

    permission_classes = [CustomersRead]

    @extend_schema_serializer(component_name="CustomerSearchInput")
    class InputSerializer(StrictInput):
        kind = serializers.ChoiceField([kind.value for kind in LookupKind])
        value = serializers.CharField(max_length=320)

    @extend_schema(
        tags=TAG,
        operation_id="customers_search",
        summary="Find customers by phone, email or account number",
        description=(
            "Exact match after normalisation (E.164 phone, case-folded email, digits of the "
            "account number), within the caller's scope, at most 50 results, masked. The "
            "value travels in the body so it never lands in URLs or access logs. Audited as "
            "`customer.searched` with the kind and the ids found, never the value."
        ),
        request=InputSerializer,
        responses={200: SearchResults, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = customers_search(
            caller=caller_of(request),
            kind=data.validated_data["kind"],
            value=data.validated_data["value"],
        )
        results = [masked_record(request, customer, "search") for customer in found]
        return Response({"results": MaskedCustomerSerializer(results, many=True).data})


class CustomerRevealApi(APIView):
    """The plaintext of the fields asked for, with a reason; throttled and audited."""

    permission_classes = [CustomersReveal]

    @extend_schema_serializer(component_name="CustomerRevealInput")
    class InputSerializer(StrictInput):
        # DRF moves declared fields out of the class body, so `Serializer.fields` stays intact.
        fields = FlatListField(  # type: ignore[assignment]
            child=serializers.ChoiceField(REVEALABLE), min_length=1, max_length=len(REVEALABLE)
        )
        reason = serializers.CharField(max_length=500)

    @extend_schema(
        tags=TAG,
        operation_id="customers_reveal",
        summary="Reveal masked fields of a customer",
        description=(
            "Returns only the fields asked for. A reason is required and recorded with who, "
            "which customer and which fields (`customer.revealed`). Medical fields need the "
            "medical permission (API keys never have it): 403, audited as `access.denied`. "
            "Reveals are limited per caller (REVEAL_RATE): over the limit, 429 with "
            "Retry-After, audited as `customer.reveal_refused`."
        ),
        request=InputSerializer,
        responses={200: RevealedSerializer, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def post(self, request: Request, customer_id: uuid.UUID) -> Response:
        customer = customer_get_for(caller_of(request), customer_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields: list[str] = list(dict.fromkeys(data.validated_data["fields"]))
        with integrity_checked(request, customer, "reveal"):
            values = customer_reveal(
                caller=caller_of(request),
                customer=customer,
                fields=fields,
                reason=data.validated_data["reason"],
            )
        return Response(RevealedSerializer(values).data)
