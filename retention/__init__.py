"""Retention policies, legal holds, scheduled disposal and data-subject requests."""
