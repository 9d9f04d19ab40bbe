import getpass
from typing import Any

from django.contrib.auth.management.commands import changepassword

from authorization.models import User
from authorization.services import user_tokens_revoke


class Command(changepassword.Command):
    """Django's `changepassword`, then every API token of the account stops working, as with
    `POST /api/auth/account/password`: resetting a stolen account's password must lock the
    thief out. It replaces django.contrib.auth's command because `authorization` comes first in
    INSTALLED_APPS. The tokens are revoked once the password is saved, not in its transaction,
    which would hold SQLite's write lock while the prompt waits."""

    help = "Change a user's password; the account's API tokens stop working."

    def handle(self, *args: Any, **options: Any) -> str:
        message = super().handle(*args, **options)
        username = options["username"] or getpass.getuser()  # found as the parent finds it
        user = User._default_manager.using(options["database"]).get(**{User.USERNAME_FIELD: username})
        user_tokens_revoke(user=user)
        return f"{message}; its API tokens were revoked"
