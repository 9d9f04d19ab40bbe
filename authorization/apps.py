from django.apps import AppConfig


class AuthorizationConfig(AppConfig):
    name = "authorization"
    verbose_name = "Accounts and tokens"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
