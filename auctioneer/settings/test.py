"""Settings for the test suite."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env

SECRET_KEY = "test-only-insecure-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "auctioneer-test"},
    "lists": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "auctioneer-test-lists"},
}
# Tests that check throttling set their own low rates; the rest must not trip them.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        key: env.str(f"TEST_THROTTLE_{key.upper()}", default="100000/min")
        for key in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    },
}
