"""The incidents REST API (/api/v1/incidents/...): serializers, views, URLs."""
