"""Compliance officer pages of the audit log (/compliance/audit/...): event search and its
download, who accessed a customer, what an actor touched, the alert queue, chain status.

Every page goes through the gate (ccplatform.gate.page with a predicate of
audit.permissions; a refusal is audited), reads through audit.search, and writes only through
the audit services, so each page view and each action leaves its own audit event.
"""
