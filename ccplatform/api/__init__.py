"""REST API defaults shared by every app: errors, pagination, permissions."""
