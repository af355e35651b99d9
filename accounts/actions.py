"""The audit actions of accounts and access (declared once; audit.actions is the registry)."""

from __future__ import annotations

from audit.actions import INFO, NOTICE, WARNING, Category, declare

# --- Sign-in and sessions ------------------------------------------------------------------

PASSWORD_ACCEPTED = declare(
    "auth.password_accepted", Category.SIGN_IN, INFO, "The password step of a sign-in passed."
)
PASSWORD_FAILED = declare(
    "auth.password_failed",
    Category.SIGN_IN_FAILURE,
    NOTICE,
    "A password step failed (wrong password, unknown name, locked or service account).",
)
OTP_FAILED = declare(
    "auth.otp_failed", Category.SIGN_IN_FAILURE, NOTICE, "A second-factor code was refused."
)
OTP_REPLAYED = declare(
    "auth.otp_replayed",
    Category.SIGN_IN_FAILURE,
    WARNING,
    "A second-factor code was used a second time.",
)
SIGNED_IN = declare("auth.signed_in", Category.SIGN_IN, INFO, "Both sign-in steps passed.")
SESSION_ENDED = declare(
    "session.ended", Category.SIGN_IN, INFO, "A session ended (signed out, timed out, ended)."
)
SESSIONS_OTHERS_ENDED = declare(
    "session.others_ended", Category.SESSION, INFO, "A person signed out their other sessions."
)
SESSIONS_TEAM_ENDED = declare(
    "session.team_ended",
    Category.SESSION,
    WARNING,
    "Every session of a team's members was ended (details: the team, how many, the people).",
)
SESSION_REVOKED = declare(
    "session.revoked", Category.SESSION, INFO, "A person ended one of their sessions."
)
SESSION_REVOKE_REFUSED = declare(
    "session.revoke_refused",
    Category.ACCESS_DENIED,
    WARNING,
    "Ending a session that is not the caller's own was refused.",
)
USER_LOCKED = declare(
    "user.locked", Category.LOCKOUT, WARNING, "An account was locked after repeated failures."
)

# --- Passwords and second factors ----------------------------------------------------------

PASSWORD_CHANGED = declare("password.changed", Category.CREDENTIAL, NOTICE, "A password changed.")
PASSWORD_CHANGE_REFUSED = declare(
    "password.change_refused",
    Category.CREDENTIAL,
    NOTICE,
    "A password change was refused (wrong current password).",
)
PASSWORD_RESET_REQUESTED = declare(
    "password.reset_requested", Category.CREDENTIAL, INFO, "A password-reset link was sent."
)
PASSWORD_RESET_COMPLETED = declare(
    "password.reset_completed", Category.CREDENTIAL, NOTICE, "A password was reset by link."
)
MFA_ENROLMENT_STARTED = declare(
    "mfa.enrolment_started", Category.CREDENTIAL, INFO, "Setting up an authenticator began."
)
MFA_ENROLLED = declare(
    "mfa.enrolled", Category.CREDENTIAL, NOTICE, "An authenticator app was set up."
)
MFA_RECOVERY_CODE_USED = declare(
    "mfa.recovery_code_used", Category.CREDENTIAL, WARNING, "A recovery code was used to sign in."
)
MFA_RECOVERY_CODES_REGENERATED = declare(
    "mfa.recovery_codes_regenerated", Category.CREDENTIAL, NOTICE, "New recovery codes were made."
)
MFA_RESET = declare(
    "mfa.reset", Category.CREDENTIAL, WARNING, "A security admin removed a person's factors."
)

# --- People, roles, teams, keys --------------------------------------------------------------

USER_CREATED = declare("user.created", Category.ACCOUNT, NOTICE, "An account was created.")
USER_ROLE_CHANGED = declare(
    "user.role_changed", Category.ACCOUNT, WARNING, "An account's role changed."
)
USER_TEAMS_CHANGED = declare(
    "user.teams_changed", Category.ACCOUNT, NOTICE, "An account's teams changed."
)
USER_DISABLED = declare("user.disabled", Category.ACCOUNT, NOTICE, "An account was disabled.")
USER_ENABLED = declare("user.enabled", Category.ACCOUNT, NOTICE, "An account was re-enabled.")
USER_UNLOCKED = declare(
    "user.unlocked", Category.ACCOUNT, NOTICE, "An account's lockout was lifted."
)
TEAM_CREATED = declare("team.created", Category.ACCOUNT, INFO, "A team was created.")
TEAM_RENAMED = declare("team.renamed", Category.ACCOUNT, INFO, "A team was renamed.")
ROLES_SYNCED = declare(
    "role.permissions_synced",
    Category.ACCOUNT,
    WARNING,
    "The roles' permissions were set to what the code defines (on migrate), with the changes.",
)
API_KEY_CREATED = declare(
    "api_key.created", Category.API_KEY, NOTICE, "An integrator API key was created."
)
API_KEY_REVOKED = declare(
    "api_key.revoked", Category.API_KEY, NOTICE, "An integrator API key was revoked."
)
API_KEY_DENIED = declare(
    "api_key.denied",
    Category.ACCESS_DENIED,
    WARNING,
    "An API key was refused (unknown, revoked, expired, disabled account, or in the URL).",
)

# --- Encryption keys -----------------------------------------------------------------------

KEYS_REWRAPPED = declare(
    "keys.rewrapped",
    Category.KEYS,
    NOTICE,
    "A batch of data keys (or authenticator secrets) was re-wrapped under the active KEK.",
)
