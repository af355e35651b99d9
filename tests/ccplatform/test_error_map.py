"""ccplatform.errors.error_info: the one map from an exception to what the caller is told."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404

from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import (
    INTEGRITY_MESSAGE,
    AccessDeniedError,
    ConflictError,
    ErrorInfo,
    RateLimitError,
    ServiceError,
    error_info,
)
from ccplatform.permissions import Decision


def test_each_error_of_ours_carries_its_status_code_and_headers() -> None:
    assert error_info(ServiceError("No.", fields={"a": ["Bad."]})) == ErrorInfo(
        400, "rule_violated", "No.", {"a": ["Bad."]}
    )
    assert error_info(RateLimitError("Wait.", retry_after=0)) == ErrorInfo(
        429, "throttled", "Wait.", headers={"Retry-After": "1"}
    )
    assert error_info(ConflictError("Taken.")) == ErrorInfo(409, "conflict", "Taken.")
    refusal = Decision(False, rule="customers.reveal", why="x", message="Not for you.")
    assert error_info(AccessDeniedError(refusal)) == ErrorInfo(403, "forbidden", "Not for you.")


def test_a_refusal_without_a_message_says_the_generic_one() -> None:
    info = error_info(AccessDeniedError(Decision(False, rule="r", why="w")))
    assert info is not None
    assert info.message == "You do not have permission to do this."


def test_a_failed_decryption_is_a_409_whose_text_never_names_keys_or_rows() -> None:
    info = error_info(DecryptionError("data key 7f3a of customers_customer row 12 is wrong"))
    assert info == ErrorInfo(409, "integrity_failure", INTEGRITY_MESSAGE)


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404("customer 42 belongs to team B"), 404, "not_found"),
        (PermissionDenied("secret reason"), 403, "forbidden"),
        (RequestDataTooBig(), 413, "too_large"),
    ],
)
def test_djangos_own_refusals_map_to_their_status_without_their_text(
    exc: Exception, status: int, code: str
) -> None:
    info = error_info(exc)
    assert info is not None
    assert (info.status, info.code) == (status, code)
    assert str(exc) not in info.message or not str(exc)


def test_an_exception_nobody_answers_on_purpose_is_left_to_the_500_handler() -> None:
    assert error_info(RuntimeError("bug")) is None
    assert error_info(ValueError("bug")) is None
