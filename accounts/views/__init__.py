"""Browser pages of the accounts app."""
