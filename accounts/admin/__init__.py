"""The accounts admin, for security admins: every write goes through accounts.services.

Third-party admins that would write around those services are removed: django-otp's
device admins (a device added there skips enrolment, a deleted one skips the audited
reset) and djangorestframework-api-key's admin (keys for any account, unaudited). This
module is imported after theirs, because accounts comes later in INSTALLED_APPS.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.admin.api_keys import ServiceAPIKeyAdmin
from accounts.admin.groups import RoleGroupAdmin
from accounts.admin.teams import TeamAdmin
from accounts.admin.users import UserAdmin

_BYPASSING_APPS = ("django_otp", "rest_framework_api_key")


def _unregister_bypassing_admins() -> None:
    for model in apps.get_models():
        if model.__module__.startswith(_BYPASSING_APPS) and admin.site.is_registered(model):
            admin.site.unregister(model)
    if admin.site.is_registered(Group):
        admin.site.unregister(Group)
    admin.site.register(Group, RoleGroupAdmin)


_unregister_bypassing_admins()

__all__ = ["RoleGroupAdmin", "ServiceAPIKeyAdmin", "TeamAdmin", "UserAdmin"]
