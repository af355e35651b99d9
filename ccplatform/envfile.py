"""Write the embedded default's `.env` once: a generated secret and development settings.

Run with the standard library only (`python -m ccplatform.envfile .env`), before Django is
importable or configured. An existing file is never overwritten: it holds the instance's
secrets, and replacing them would lock the user out of their own data.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# Embedded default for this checkout, generated once by `make run` / `make test`.
# Git-ignored. Every variable is documented in README.md ("Configuration").
# Environment variables set in the shell take precedence over this file.
CCPLATFORM_ENV=development
SECRET_KEY={secret_key}
DATABASE_URL=sqlite:///var/db.sqlite3
# No REDIS_URL: Celery uses the file-system broker under var/broker and the cache lives in
# var/cache. Set REDIS_URL=redis://127.0.0.1:6379/0 to use Redis instead.
ALLOWED_HOSTS=127.0.0.1,localhost
# Printed in every breach notice as the contact point (GDPR Art. 33(3)(b)).
INCIDENT_DPO_CONTACT=Data protection officer, dpo@demo.example.com
"""


def write_env_file(path: Path) -> bool:
    """Create `path` with fresh secrets unless it exists; return whether it was written."""
    if path.exists():
        return False
    path.write_text(TEMPLATE.format(secret_key=secrets.token_urlsafe(50)), encoding="utf-8")
    path.chmod(0o600)
    return True


def main(argv: list[str]) -> int:
    target = Path(argv[1] if len(argv) > 1 else ".env")
    if write_env_file(target):
        print(f"Wrote {target} with a generated secret key (embedded default, development mode).")
    else:
        print(f"{target} exists; left as it is.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
