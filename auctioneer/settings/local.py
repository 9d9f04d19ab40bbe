"""Settings for a developer's machine and `make start`: SQLite in var/, console mail."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A local key only: production refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-only-insecure-key-not-for-production")
