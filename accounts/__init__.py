"""Users, roles, teams, MFA, sign-in, API keys and workforce compliance."""
