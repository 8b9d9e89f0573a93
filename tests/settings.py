"""Test settings: the real settings, with the test environment's defaults.

The suite runs against real PostgreSQL and Redis. Every value can still be
overridden from the environment (``make test`` passes them explicitly).
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/messpace")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Each test process (xdist worker) gets its own cache keys in the shared Redis.
# Set, not defaulted: the workers inherit the environment of the controller,
# which imported these settings first, and shared keys made the throttle
# counters of one worker trip another's tests (user ids and addresses overlap).
os.environ["CACHE_KEY_PREFIX"] = (
    f"messpace-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
)
os.environ.setdefault("MESSPACE_VAR_DIR", "/tmp/messpace-test-var")  # noqa: S108
# Two fixed master keys (bytes 1..32 and 101..132), so rotation can be tested.
os.environ.setdefault(
    "MESSPACE_MASTER_KEYS",
    "t1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=,"
    "t2:ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=",
)
os.environ.setdefault("MESSPACE_MASTER_KEY_ID", "t1")
os.environ.setdefault(
    "MESSPACE_SEARCH_INDEX_KEY", "dGVzdC1zZWFyY2gtaW5kZXgta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg=="
)

from messpace.settings import *  # noqa: F403

# Fast hashing keeps the suite quick; password validation still runs.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests run tasks through a real worker only where they say so.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
