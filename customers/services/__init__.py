"""Every write (and audited read) of customer data."""
