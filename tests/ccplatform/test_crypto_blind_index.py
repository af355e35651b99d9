"""Blind indexes: normalised values (E.164, case-folded email, digits-only account number)
give equal digests for equal inputs, and different digests under different keys or kinds."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from django.conf import settings
from django.test import override_settings
from hypothesis import assume, given
from hypothesis import strategies as st

from ccplatform.crypto.blind_index import (
    LookupKind,
    NormalisationError,
    blind_index,
    digest,
    normalise,
    normalise_account_number,
    normalise_email,
    normalise_phone,
    search_digests,
)
from ccplatform.crypto.keyring import KeyRing

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]
keys = st.binary(min_size=32, max_size=32)


def ring(*keys_by_version: bytes, active: str = "1") -> KeyRing:
    return KeyRing(
        keys={str(number): key for number, key in enumerate(keys_by_version, start=1)},
        active=active,
    )


# --- Phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "+1 555 123 4567",
        "+1 (555) 123-4567",
        "+15551234567",
        "1-555-123-4567",
        "(555) 123-4567",  # national, in PHONE_DEFAULT_REGION (US in the tests)
        "555.123.4567",
        " 555 123 4567 ",
        "tel:+1-555-123-4567",
    ],
)
def test_us_phone_numbers_in_any_layout_become_one_e164_number(written: str) -> None:
    assert settings.PHONE_DEFAULT_REGION == "US"
    assert normalise_phone(written) == "+15551234567"


@override_settings(PHONE_DEFAULT_REGION="GB")
@pytest.mark.parametrize("written", ["020 7946 0321", "+44 20 7946 0321", "0044 20 7946 0321"])
def test_national_numbers_use_the_default_region(written: str) -> None:
    assert normalise_phone(written) == "+442079460321"


@given(
    region=st.sampled_from(REGIONS),
    layout=st.sampled_from(FORMATS),
)
def test_every_region_example_number_normalises_to_its_e164_form(region: str, layout: int) -> None:
    number = phonenumbers.example_number(region)
    assume(number is not None)
    assert number is not None
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    with override_settings(PHONE_DEFAULT_REGION=region):
        assert normalise_phone(phonenumbers.format_number(number, layout)) == expected


@given(
    digits=st.text(alphabet="0123456789", min_size=7, max_size=7),
    separators=st.lists(st.sampled_from(["", " ", "-", ".", "  "]), min_size=11, max_size=11),
)
def test_separators_in_a_phone_number_never_change_its_digest(
    digits: str, separators: list[str]
) -> None:
    plain = f"+1555{digits}"
    spaced = "+" + "".join(f"{char}{sep}" for char, sep in zip(plain[1:], separators, strict=True))
    assert blind_index(LookupKind.PHONE, spaced) == blind_index(LookupKind.PHONE, plain)


@pytest.mark.parametrize("written", ["", "   ", "abc", "12", "+1 555", "not a phone", "+999 1234"])
def test_a_bad_phone_number_is_a_normalisation_error(written: str) -> None:
    with pytest.raises(NormalisationError, match="valid phone number"):
        normalise_phone(written)


# --- Emails -------------------------------------------------------------------------------

_local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20)
_domain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=15)


@given(local=_local, domain=_domain, tld=st.sampled_from(["com", "org", "de", "example"]))
def test_emails_are_case_folded_and_trimmed(local: str, domain: str, tld: str) -> None:
    address = f"{local}@{domain}.{tld}"
    shouted = f"  {address.upper()}\t"
    assert normalise_email(shouted) == address
    assert blind_index(LookupKind.EMAIL, shouted) == blind_index(LookupKind.EMAIL, address)


def test_case_folding_goes_beyond_lowercasing() -> None:
    assert normalise_email("STRASSE@Example.DE") == normalise_email("straße@example.de")


@pytest.mark.parametrize(
    "written", ["", "plain", "no-at.example.com", "a@b", "a b@example.com", "a@@example.com"]
)
def test_a_bad_email_is_a_normalisation_error(written: str) -> None:
    with pytest.raises(NormalisationError, match="valid email address"):
        normalise_email(written)


# --- Account numbers ----------------------------------------------------------------------


@given(
    digits=st.text(alphabet="0123456789", min_size=4, max_size=34),
    noise=st.lists(st.sampled_from([" ", "-", "/", ".", "ACC ", "#"]), max_size=34),
)
def test_account_numbers_keep_only_their_digits(digits: str, noise: list[str]) -> None:
    written = "".join(char + (noise[i] if i < len(noise) else "") for i, char in enumerate(digits))
    assert normalise_account_number(written) == digits
    assert blind_index(LookupKind.ACCOUNT_NUMBER, written) == blind_index(
        LookupKind.ACCOUNT_NUMBER, digits
    )


@pytest.mark.parametrize("written", ["", "ACC", "123", "12-3", "1" * 35])
def test_a_bad_account_number_is_a_normalisation_error(written: str) -> None:
    with pytest.raises(NormalisationError, match="4 to 34 digits"):
        normalise_account_number(written)


# --- Digests ------------------------------------------------------------------------------


@given(key=keys, value=st.text(min_size=1))
def test_equal_inputs_give_equal_hex_digests(key: bytes, value: str) -> None:
    first = digest(LookupKind.EMAIL, value, ring=ring(key), version="1")
    assert first == digest(LookupKind.EMAIL, value, ring=ring(key), version="1")
    assert re.fullmatch(r"[0-9a-f]{64}", first)


@given(key=keys, other=keys, value=st.text(min_size=1))
def test_different_keys_give_different_digests(key: bytes, other: bytes, value: str) -> None:
    assume(key != other)
    keyring = ring(key, other)
    assert digest(LookupKind.PHONE, value, ring=keyring, version="1") != digest(
        LookupKind.PHONE, value, ring=keyring, version="2"
    )


@given(key=keys, value=st.text(min_size=1))
def test_the_same_text_of_another_kind_gives_another_digest(key: bytes, value: str) -> None:
    digests = {digest(kind, value, ring=ring(key), version="1") for kind in LookupKind}
    assert len(digests) == len(LookupKind)


@given(key=keys, first=st.text(min_size=1), second=st.text(min_size=1))
def test_different_values_give_different_digests(key: bytes, first: str, second: str) -> None:
    assume(first != second)
    assert digest(LookupKind.EMAIL, first, ring=ring(key), version="1") != digest(
        LookupKind.EMAIL, second, ring=ring(key), version="1"
    )


def test_a_digest_does_not_contain_the_value() -> None:
    version, value = blind_index(LookupKind.ACCOUNT_NUMBER, "4403 2215 5678")
    assert version == settings.BLIND_INDEX_KEYRING.active
    assert "440322155678" not in value


def test_blind_index_uses_the_active_key_and_search_tries_every_version() -> None:
    two = ring(b"a" * 32, b"b" * 32, active="2")
    with override_settings(BLIND_INDEX_KEYRING=two):
        version, active_digest = blind_index(LookupKind.EMAIL, "Ann@Example.com")
        old_version, old_digest = blind_index(LookupKind.EMAIL, "ann@example.com", version="1")
        assert (version, old_version) == ("2", "1")
        assert search_digests(LookupKind.EMAIL, "ANN@example.com") == [old_digest, active_digest]


def test_normalise_dispatches_on_the_kind() -> None:
    assert normalise(LookupKind.PHONE, "(555) 123-4567") == "+15551234567"
    assert normalise(LookupKind.EMAIL, "Ann@Example.com") == "ann@example.com"
    assert normalise(LookupKind.ACCOUNT_NUMBER, "ACC 12-34") == "1234"
    with pytest.raises(NormalisationError):
        search_digests(LookupKind.PHONE, "call me maybe")
