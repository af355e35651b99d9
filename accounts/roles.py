"""Each role's permissions, in code. `sync_roles` makes the groups match, on every migrate.

Separation of duties: the security admin manages people, roles, factors and keys, and has
no permission on customer data. Customer permissions join these lists when the customers
app defines them.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import Role

_CUSTOMER_WORK = (
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.reveal_customer",
    "customers.add_note",
    "customers.add_interaction",
)

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    # Agents see their teams' customers; medical fields need view_medical, which only
    # supervisors hold by default.
    Role.AGENT: _CUSTOMER_WORK,
    Role.SUPERVISOR: (*_CUSTOMER_WORK, "customers.view_medical"),
    Role.COMPLIANCE_OFFICER: (
        "audit.view_auditevent",
        "audit.export_auditevent",
        "audit.verify_auditevent",
        "audit.view_alert",
        "audit.change_alert",
    ),
    Role.SECURITY_ADMIN: (
        "accounts.view_user",
        "accounts.add_user",
        "accounts.assign_role",
        "accounts.disable_user",
        "accounts.unlock_user",
        "accounts.reset_mfa",
        "accounts.manage_api_keys",
        "accounts.view_serviceapikey",
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
        "audit.view_auditevent",
    ),
    # Service accounts act only through API keys, whose scopes say what they may do.
    Role.INTEGRATOR: (),
}


def group_name(role: Role | str) -> str:
    return Role(role).label


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    found: list[Permission] = []
    for name in names:
        app_label, _, codename = name.partition(".")
        try:
            found.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        except Permission.DoesNotExist:
            raise LookupError(f"role permission {name!r} does not exist") from None
    return found


@transaction.atomic
def sync_roles() -> None:
    """Create one group per role and give it exactly the permissions listed above."""
    # Permissions of apps migrated after this one do not exist yet at this point of migrate.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set(_permissions(names))
