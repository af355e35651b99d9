"""The compliance pages of the breach workflow (/compliance/incidents/...)."""
