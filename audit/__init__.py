"""The append-only, tamper-evident audit log and what reads it."""
