"""Settings for the test run: ccplatform.settings with a test environment.

The suite never reads the developer's `.env`; it runs in development mode with a fixed test
secret, against DATABASE_URL / REDIS_URL when they are set (CI: PostgreSQL and Redis) and
against the embedded default otherwise, with its own broker and cache folders so a running
`make run` instance is not disturbed.
"""

from __future__ import annotations

import os

os.environ["CCPLATFORM_READ_DOTENV"] = "0"
os.environ.setdefault("CCPLATFORM_ENV", "development")
os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789abcdefghij")
# Fixed test keys (two field-encryption versions, so rotation can be tested), never a file.
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS",
    "1:dGVzdC1maWVsZC1rZXktdmVyc2lvbi0xLTMyLWJ5dGU,2:dGVzdC1maWVsZC1rZXktdmVyc2lvbi0yLTMyLWJ5dGU",
)
os.environ.setdefault("FIELD_ENCRYPTION_ACTIVE_KEY", "1")
os.environ.setdefault("BLIND_INDEX_KEYS", "1:dGVzdC1ibGluZC1pbmRleC1rZXktdjEtMzItYnl0ZXM")
os.environ.setdefault("AUDIT_CHECKPOINT_KEYS", "1:dGVzdC1hdWRpdC1jaGVja3BvaW50LWtleS12MS0zMmI")
# Few chains, so that tests see several events on one chain as production sees them.
os.environ.setdefault("AUDIT_CHAINS", "8")

from ccplatform.config import filesystem_broker
from ccplatform.settings import *  # noqa: F403
from ccplatform.settings import CELERY_BROKER_URL, DATABASES, VAR_DIR

# One folder per test run, so that runs side by side (or a run beside `make run`) never
# share a SQLite file, broker queue or cache. Processes a test starts inherit the run id
# and so share the run's broker and cache.
TEST_RUN_ID = os.environ.setdefault("CCPLATFORM_TEST_RUN_ID", str(os.getpid()))
TEST_VAR_DIR = VAR_DIR / "test" / TEST_RUN_ID
TEST_VAR_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_VAR_DIR / "db.sqlite3")}
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_RESULT_BACKEND = filesystem_broker(TEST_VAR_DIR)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(TEST_VAR_DIR / "cache"),
        }
    }
    (TEST_VAR_DIR / "cache").mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(TEST_VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# Argon2id stays first in production (tests/ccplatform checks it); here a fast hasher keeps
# the many persona accounts cheap.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
