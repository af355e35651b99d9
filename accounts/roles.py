"""Each role's permissions, in code. `sync_roles` makes the groups match, on every migrate,
and records what it changed (`role.permissions_synced`): a role's rights changing is a
security event, whether a person or a release changed them.

Separation of duties: the security admin manages people, roles, factors and keys, and has
no permission on customer data. Customer permissions join these lists when the customers
app defines them.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.actions import ROLES_SYNCED
from accounts.models import Role
from audit.services import audit_record
from ccplatform.context import Actor

__all__ = ["ROLE_PERMISSIONS", "Role", "group_name", "sync_roles"]

MIGRATE = Actor.system("migrate")

_CUSTOMER_WORK = (
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.reveal_customer",
    "customers.add_note",
    "customers.add_interaction",
)

_REPORTING = ("incidents.add_incident", "incidents.view_incident")

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    # Agents see their teams' customers; medical fields need view_medical, which only
    # supervisors hold by default.
    # Everyone who works with customers may report a suspected incident and follow it.
    Role.AGENT: (*_CUSTOMER_WORK, *_REPORTING),
    Role.SUPERVISOR: (*_CUSTOMER_WORK, "customers.view_medical", *_REPORTING),
    Role.COMPLIANCE_OFFICER: (
        *_REPORTING,
        "incidents.handle_incident",
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


def _names(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@transaction.atomic
def sync_roles() -> dict[str, dict[str, list[str]]]:
    """Create one group per role and give it exactly the permissions listed above.

    Returns, per role whose group changed, the permissions added and removed; when any
    changed, one audit event records them all.
    """
    # Permissions of apps migrated after this one do not exist yet at this point of migrate.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    changes: dict[str, dict[str, list[str]]] = {}
    for role, names in ROLE_PERMISSIONS.items():
        group, created = Group.objects.get_or_create(name=group_name(role))
        before = set() if created else _names(group)
        group.permissions.set(_permissions(names))
        if created or before != set(names):
            changes[role.value] = {
                "added": sorted(set(names) - before),
                "removed": sorted(before - set(names)),
            }
    if changes:
        audit_record(actor=MIGRATE, action=ROLES_SYNCED, details={"roles": changes})
    return changes
