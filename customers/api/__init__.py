"""The customers REST API (/api/v1/customers/...): serializers, views, URLs."""
