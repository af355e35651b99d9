"""Who must be told of a breach, by when: the notification rules as data, each citing its source.

A rule says which regime it belongs to, whom it notifies, from which event its clock runs,
how long it is (hours, calendar days or business days, counted in the rule's time zone), and
when it applies: a regime the organisation is under, residents of a place among the affected,
a threshold of affected people, high risk. Rules without a fixed period ("without undue
delay", "as soon as feasible") carry the platform's own target, marked as such, so that they
show a clock too. The table reflects the laws as read on 2026-12-01; it is data, reviewed
like code, and each row names the text it comes from. It is not legal advice: counsel
confirms each notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ccplatform.deadlines import Unit


class Recipient(StrEnum):
    AUTHORITY = "authority"  # a data-protection supervisory authority or regulator
    SUBJECTS = "subjects"  # the people whose data it is
    MEDIA = "media"
    HHS = "hhs"  # the US Secretary of Health and Human Services
    HHS_ANNUAL_LOG = "hhs_annual_log"
    ATTORNEY_GENERAL = "attorney_general"
    CLIENT = "client"  # a client we process data for (contractual clock)


RECIPIENT_LABELS = {
    Recipient.AUTHORITY: "Supervisory authority",
    Recipient.SUBJECTS: "The people affected",
    Recipient.MEDIA: "Media",
    Recipient.HHS: "HHS (Secretary)",
    Recipient.HHS_ANNUAL_LOG: "HHS annual log",
    Recipient.ATTORNEY_GENERAL: "Attorney General",
    Recipient.CLIENT: "Client (contract)",
}


class Trigger(StrEnum):
    """The event a clock runs from."""

    AWARE = "aware_at"  # the controller became aware of the breach (GDPR Art. 33)
    DISCOVERED = "discovered_at"  # the breach was (or should have been) known
    YEAR_END = "year_end"  # the end of the calendar year of discovery (HHS annual log)


class Condition(StrEnum):
    """What makes a rule apply, beyond its regime."""

    ALWAYS = "always"
    HIGH_RISK = "high_risk"
    RESIDENTS = "residents"  # at least one affected resident of the rule's place
    OVER_THRESHOLD = "over_threshold"  # more than `threshold` affected residents of the place
    AT_LEAST_THRESHOLD = "at_least_threshold"  # `threshold` or more
    UNDER_TOTAL = "under_total"  # fewer than `threshold` affected people in total
    AT_LEAST_TOTAL = "at_least_total"  # `threshold` or more in total


@dataclass(frozen=True)
class Rule:
    id: str
    regime: str  # GDPR, HIPAA, US-CA, UK, CA (Canada), AU, SG, BR
    recipient: Recipient
    trigger: Trigger
    amount: int
    unit: Unit
    zone: str
    condition: Condition
    source: str
    summary: str
    place: str = ""  # the region whose residents count ("US-CA", "GB"); empty: all
    threshold: int = 0
    statutory: bool = True  # False: no fixed period in law; `amount` is the platform's target


H, D, B = Unit.HOURS, Unit.CALENDAR_DAYS, Unit.BUSINESS_DAYS

RULES: tuple[Rule, ...] = (
    # --- GDPR (the organisation's own regime when GDPR_APPLIES) ----------------------------
    Rule("gdpr.33.authority", "GDPR", Recipient.AUTHORITY, Trigger.AWARE, 72, H, "UTC",
         Condition.ALWAYS, "GDPR Art. 33(1)",
         "Notify the supervisory authority within 72 hours of becoming aware, unless the "
         "breach is unlikely to result in a risk (then record why: not required)."),
    Rule("gdpr.34.subjects", "GDPR", Recipient.SUBJECTS, Trigger.AWARE, 72, H, "UTC",
         Condition.HIGH_RISK, "GDPR Art. 34(1), (3)(a)",
         "Tell the data subjects without undue delay when the risk is high; not required "
         "when the data was unintelligible to the intruder (encrypted), signed off.",
         statutory=False),
    # --- HIPAA (covered entities and business associates, medical data) -----------------
    Rule("hipaa.404.individuals", "HIPAA", Recipient.SUBJECTS, Trigger.DISCOVERED, 60, D,
         "America/New_York", Condition.ALWAYS, "45 CFR 164.404(b)",
         "Notify each individual without unreasonable delay, at the latest 60 calendar days "
         "after discovery."),
    Rule("hipaa.406.media", "HIPAA", Recipient.MEDIA, Trigger.DISCOVERED, 60, D,
         "America/New_York", Condition.OVER_THRESHOLD, "45 CFR 164.406(a)",
         "Notify prominent media outlets of a State whose residents affected are more than "
         "500, within 60 calendar days of discovery.", place="US-*", threshold=500),
    Rule("hipaa.408.hhs", "HIPAA", Recipient.HHS, Trigger.DISCOVERED, 60, D,
         "America/New_York", Condition.AT_LEAST_TOTAL, "45 CFR 164.408(b)",
         "500 or more individuals: notify HHS at the same time as the individuals, within "
         "60 calendar days of discovery.", threshold=500),
    Rule("hipaa.408.hhs_log", "HIPAA", Recipient.HHS_ANNUAL_LOG, Trigger.YEAR_END, 60, D,
         "America/New_York", Condition.UNDER_TOTAL, "45 CFR 164.408(c)",
         "Fewer than 500 individuals: log the breach and report it to HHS within 60 days "
         "after the end of the calendar year of discovery.", threshold=500),
    # --- US states (residents of the state among the affected) --------------------------
    Rule("us-ca.residents", "US-CA", Recipient.SUBJECTS, Trigger.DISCOVERED, 30, D,
         "America/Los_Angeles", Condition.RESIDENTS, "Cal. Civ. Code § 1798.82(a) (SB 446, 2025)",
         "Notify California residents within 30 calendar days of discovery.", place="US-CA"),
    Rule("us-ca.ag", "US-CA", Recipient.ATTORNEY_GENERAL, Trigger.DISCOVERED, 45, D,
         "America/Los_Angeles", Condition.OVER_THRESHOLD, "Cal. Civ. Code § 1798.82(f)",
         "More than 500 California residents: a sample notice to the Attorney General within "
         "15 days of notifying them (here: 45 days from discovery).",
         place="US-CA", threshold=500),
    Rule("us-ny.residents", "US-NY", Recipient.SUBJECTS, Trigger.DISCOVERED, 30, D,
         "America/New_York", Condition.RESIDENTS, "N.Y. Gen. Bus. Law § 899-aa(2)",
         "Notify New York residents within 30 days of discovery.", place="US-NY"),
    Rule("us-ny.ag", "US-NY", Recipient.ATTORNEY_GENERAL, Trigger.DISCOVERED, 30, D,
         "America/New_York", Condition.RESIDENTS, "N.Y. Gen. Bus. Law § 899-aa(8)(a)",
         "Whenever New York residents are notified: the Attorney General, the Department of "
         "State and the State Police (and DFS for its licensees).", place="US-NY"),
    Rule("us-wa.residents", "US-WA", Recipient.SUBJECTS, Trigger.DISCOVERED, 30, D,
         "America/Los_Angeles", Condition.RESIDENTS, "RCW 19.255.010(8)",
         "Notify Washington residents within 30 calendar days of discovery.", place="US-WA"),
    Rule("us-wa.ag", "US-WA", Recipient.ATTORNEY_GENERAL, Trigger.DISCOVERED, 30, D,
         "America/Los_Angeles", Condition.OVER_THRESHOLD, "RCW 19.255.010(7)",
         "More than 500 Washington residents: the Attorney General within 30 days.",
         place="US-WA", threshold=500),
    Rule("us-co.residents", "US-CO", Recipient.SUBJECTS, Trigger.DISCOVERED, 30, D,
         "America/Denver", Condition.RESIDENTS, "C.R.S. § 6-1-716(2)(a)",
         "Notify Colorado residents within 30 days of determining the breach.", place="US-CO"),
    Rule("us-co.ag", "US-CO", Recipient.ATTORNEY_GENERAL, Trigger.DISCOVERED, 30, D,
         "America/Denver", Condition.AT_LEAST_THRESHOLD, "C.R.S. § 6-1-716(2)(f)",
         "500 or more Colorado residents: the Attorney General within 30 days.",
         place="US-CO", threshold=500),
    Rule("us-tx.residents", "US-TX", Recipient.SUBJECTS, Trigger.DISCOVERED, 60, D,
         "America/Chicago", Condition.RESIDENTS, "Tex. Bus. & Com. Code § 521.053(b)",
         "Notify Texas residents within 60 days of determining the breach.", place="US-TX"),
    Rule("us-tx.ag", "US-TX", Recipient.ATTORNEY_GENERAL, Trigger.DISCOVERED, 30, D,
         "America/Chicago", Condition.AT_LEAST_THRESHOLD, "Tex. Bus. & Com. Code § 521.053(i)",
         "250 or more Texas residents: the Attorney General within 30 days of determining it.",
         place="US-TX", threshold=250),
    Rule("us-fl.residents", "US-FL", Recipient.SUBJECTS, Trigger.DISCOVERED, 30, D,
         "America/New_York", Condition.RESIDENTS, "Fla. Stat. § 501.171(4)(a)",
         "Notify Florida residents within 30 days of determining the breach.", place="US-FL"),
    Rule("us-fl.ag", "US-FL", Recipient.ATTORNEY_GENERAL, Trigger.DISCOVERED, 30, D,
         "America/New_York", Condition.AT_LEAST_THRESHOLD, "Fla. Stat. § 501.171(3)(a)",
         "500 or more Florida residents: the Department of Legal Affairs within 30 days.",
         place="US-FL", threshold=500),
    # --- Other jurisdictions (residents among the affected) -----------------------------
    Rule("uk.33.authority", "UK", Recipient.AUTHORITY, Trigger.AWARE, 72, H, "Europe/London",
         Condition.RESIDENTS, "UK GDPR Art. 33(1)",
         "Notify the ICO within 72 hours of becoming aware, unless unlikely to result in a "
         "risk.", place="GB"),
    Rule("uk.34.subjects", "UK", Recipient.SUBJECTS, Trigger.AWARE, 72, H, "Europe/London",
         Condition.HIGH_RISK, "UK GDPR Art. 34(1)",
         "Tell UK data subjects without undue delay when the risk is high.", place="GB",
         statutory=False),
    Rule("ca.authority", "CA", Recipient.AUTHORITY, Trigger.AWARE, 72, H, "America/Toronto",
         Condition.RESIDENTS, "PIPEDA s. 10.1(1)-(2)",
         "A breach creating a real risk of significant harm: the Privacy Commissioner as soon "
         "as feasible.", place="CA", statutory=False),
    Rule("ca.subjects", "CA", Recipient.SUBJECTS, Trigger.AWARE, 72, H, "America/Toronto",
         Condition.HIGH_RISK, "PIPEDA s. 10.1(3), (6)",
         "Notify the individuals as soon as feasible when there is a real risk of significant "
         "harm.", place="CA", statutory=False),
    Rule("au.authority", "AU", Recipient.AUTHORITY, Trigger.AWARE, 30, D, "Australia/Sydney",
         Condition.RESIDENTS, "Privacy Act 1988 (Cth) ss. 26WH, 26WK",
         "Assess within 30 days; an eligible data breach goes to the OAIC as soon as "
         "practicable.", place="AU"),
    Rule("au.subjects", "AU", Recipient.SUBJECTS, Trigger.AWARE, 30, D, "Australia/Sydney",
         Condition.HIGH_RISK, "Privacy Act 1988 (Cth) s. 26WL",
         "Notify the individuals at risk of serious harm as soon as practicable.", place="AU",
         statutory=False),
    Rule("sg.authority", "SG", Recipient.AUTHORITY, Trigger.AWARE, 33, D, "Asia/Singapore",
         Condition.RESIDENTS, "PDPA 2012 ss. 26C(3), 26D(1)",
         "Assess within 30 days; a notifiable breach (significant harm, or 500 or more "
         "individuals) goes to the PDPC within 3 calendar days of that assessment.",
         place="SG"),
    Rule("sg.subjects", "SG", Recipient.SUBJECTS, Trigger.AWARE, 33, D, "Asia/Singapore",
         Condition.HIGH_RISK, "PDPA 2012 s. 26D(2)",
         "Notify affected individuals on or after notifying the PDPC when harm is significant.",
         place="SG"),
    Rule("br.authority", "BR", Recipient.AUTHORITY, Trigger.AWARE, 3, B, "America/Sao_Paulo",
         Condition.RESIDENTS, "LGPD Art. 48; ANPD Resolution CD/ANPD 15/2024 Art. 6",
         "Notify the ANPD within 3 business days of knowing of an incident that may cause "
         "relevant risk or harm.", place="BR"),
    Rule("br.subjects", "BR", Recipient.SUBJECTS, Trigger.AWARE, 3, B, "America/Sao_Paulo",
         Condition.HIGH_RISK, "LGPD Art. 48; ANPD Resolution CD/ANPD 15/2024 Art. 9",
         "Notify the data subjects within 3 business days.", place="BR"),
)  # fmt: skip

RULES_BY_ID = {rule.id: rule for rule in RULES}
CLIENT_SOURCE_PREFIX = "Contract with "  # a client's notice cites its contract
# The contractual clock of a client may be shorter than the law's, never longer.
CLIENT_MAX_HOURS = 72
# EU member states and the EEA's Iceland, Liechtenstein and Norway: GDPR residents.
EEA = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
    }
)  # fmt: skip
