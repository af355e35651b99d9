"""Where a customer lives, as a region code read from their address: "US-MN", "GB", "DE".

Breach laws count affected people per state or country of residence; the address is
encrypted, so the code is computed where it is decrypted (customers.selectors.
customer_regions) and only the code leaves. Addresses are free text: the last part that names
a US state (with or without a ZIP code), a Canadian or British postcode, or a country (name
or ISO code) decides. Nothing recognisable: "" (counted as unknown, never guessed).
"""

from __future__ import annotations

import re

US_STATES = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
        "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
        "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
        "VA", "WA", "WV", "WI", "WY", "DC", "PR",
    }
)  # fmt: skip
COUNTRIES = {
    "united states": "US", "usa": "US", "us": "US", "united states of america": "US",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "gb": "GB",
    "canada": "CA", "australia": "AU", "singapore": "SG", "brazil": "BR", "brasil": "BR",
    "austria": "AT", "belgium": "BE", "bulgaria": "BG", "croatia": "HR", "cyprus": "CY",
    "czechia": "CZ", "czech republic": "CZ", "denmark": "DK", "estonia": "EE",
    "finland": "FI", "france": "FR", "germany": "DE", "deutschland": "DE", "greece": "GR",
    "hungary": "HU", "ireland": "IE", "italy": "IT", "latvia": "LV", "lithuania": "LT",
    "luxembourg": "LU", "malta": "MT", "netherlands": "NL", "the netherlands": "NL",
    "poland": "PL", "portugal": "PT", "romania": "RO", "slovakia": "SK", "slovenia": "SI",
    "spain": "ES", "sweden": "SE", "iceland": "IS", "liechtenstein": "LI", "norway": "NO",
    "switzerland": "CH", "mexico": "MX", "india": "IN", "japan": "JP", "new zealand": "NZ",
}  # fmt: skip
ISO_CODES = frozenset(COUNTRIES.values()) - {"US"}
_STATE = re.compile(r"(?:^|\s)(?P<state>[A-Za-z]{2})(?P<zip>\s+\d{5}(?:-\d{4})?)?$")
_CANADIAN_POSTCODE = re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d$", re.IGNORECASE)
_BRITISH_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}$", re.IGNORECASE)
_POSTCODE_FIRST = re.compile(r"^\d{4,5}\s+\D")  # "10115 Berlin": the European order


def _part_region(text: str, *, in_us: bool, before: str) -> str:
    """The region one comma-separated part names; `before` is the part preceding it."""
    named = COUNTRIES.get(text.lower())
    if named:
        return named
    state = _STATE.search(text)
    code = state["state"].upper() if state else ""
    whole = state is not None and state.start() == 0
    if state and code in US_STATES and (whole or state["zip"]):
        # "CA" or "DE" alone may be a state or a country: a ZIP, a "USA" after it or a
        # US-style part before it make it the state; a postcode-first part, the country.
        foreign = code in ISO_CODES and not state["zip"] and not in_us
        if not (foreign and _POSTCODE_FIRST.match(before)):
            return f"US-{code}"
    if whole and code in ISO_CODES:
        return code
    if _CANADIAN_POSTCODE.search(text):
        return "CA"
    if _BRITISH_POSTCODE.search(text):
        return "GB"
    return ""


def region_of(address: str) -> str:
    """The region code an address names ("US-MN", "GB", ...), or "" when none is clear.

    A country of "US" with a state before it gives the state: "1 Main St, Austin, TX 78701,
    USA" is "US-TX". A two-letter code that is both a state and a country (CA, DE, IN, MT)
    is read as the state unless the part before it puts the postcode first ("10115 Berlin,
    DE"): for a US contact center the state is the likelier, and missing a state's notice
    the worse mistake.
    """
    parts = [part.strip().rstrip(".") for part in address.replace("\n", ",").split(",")]
    parts = [part for part in parts if part]
    in_us = False
    for index in range(len(parts) - 1, -1, -1):
        before = parts[index - 1] if index else ""
        found = _part_region(parts[index], in_us=in_us, before=before)
        if found == "US":
            in_us = True
            continue
        if found:
            return found
        if in_us:
            break
    return "US" if in_us else ""


def residence(addresses: list[str]) -> str:
    """The region of a customer: that of their first address with one."""
    for address in addresses:
        found = region_of(address)
        if found:
            return found
    return ""
