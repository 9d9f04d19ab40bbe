"""Settings for a developer's machine and `make start`: SQLite in var/, console mail."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# `make setup` writes a random key to .env; this built-in one is for a checkout without it (it is
# public, so never serve it beyond this machine). Production refuses to start without a strong key.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-only-insecure-key-not-for-production")
