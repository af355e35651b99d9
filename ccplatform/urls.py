"""URL conf. Every view declares its permission (ccplatform.permissions); the API is /api/v1/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ccplatform import health, views

handler400 = "ccplatform.errors.bad_request"
handler403 = "ccplatform.errors.permission_denied"
handler404 = "ccplatform.errors.page_not_found"
handler500 = "ccplatform.errors.server_error"

api_v1 = [
    path("", include("ccplatform.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("workspace/", include("customers.urls")),
    path("compliance/audit/", include("audit.urls")),
    path("compliance/incidents/", include("incidents.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
