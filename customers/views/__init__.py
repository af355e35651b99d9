"""Browser pages of the agent workspace (/workspace/)."""
