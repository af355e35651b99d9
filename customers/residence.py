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
_STATE = re.compile(r"^(?P<state>[A-Z]{2})(?:\s+\d{5}(?:-\d{4})?)?$")
_CANADIAN_POSTCODE = re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d$", re.IGNORECASE)
_BRITISH_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}$", re.IGNORECASE)


def _part_region(part: str) -> str:
    text = part.strip().rstrip(".")
    if not text:
        return ""
    named = COUNTRIES.get(text.lower())
    if named:
        return named
    state = _STATE.match(text)
    if state and state["state"] in US_STATES:
        return f"US-{state['state']}"
    if text.upper() in ISO_CODES and len(text) == 2:
        return text.upper()
    if _CANADIAN_POSTCODE.search(text):
        return "CA"
    if _BRITISH_POSTCODE.search(text):
        return "GB"
    return ""


def region_of(address: str) -> str:
    """The region code an address names ("US-MN", "GB", ...), or "" when none is clear.

    A country of "US" with a state before it gives the state: "1 Main St, Austin, TX 78701,
    USA" is "US-TX".
    """
    parts = [part for part in address.replace("\n", ",").split(",") if part.strip()]
    country = ""
    for part in reversed(parts):
        found = _part_region(part)
        if found == "US":
            country = "US"
            continue
        if found:
            return found
        if country:
            break
    return country


def residence(addresses: list[str]) -> str:
    """The region of a customer: that of their first address with one."""
    for address in addresses:
        found = region_of(address)
        if found:
            return found
    return ""
