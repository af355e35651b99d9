"""Audit endpoints of the API (/api/v1/audit/...)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
