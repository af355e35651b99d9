"""The admin application config, importable before models load (INSTALLED_APPS names it)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    """Installs accounts.admin_site.PlatformAdminSite as `admin.site`."""

    default_site = "accounts.admin_site.PlatformAdminSite"
