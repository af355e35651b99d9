"""Every write of accounts data, each recording its audit event in the same transaction."""
