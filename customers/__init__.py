"""Customer records with encrypted fields, need-to-know access, interactions and notes."""
