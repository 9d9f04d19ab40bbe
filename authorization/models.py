from typing import ClassVar, cast

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower


class UserManager(DjangoUserManager["User"]):
    def with_username(self, username: str) -> "QuerySet[User]":
        """The account named `username`, ignoring case. The name is NFKC-normalised first, as
        register stores it (fullwidth U+FF41 U+FF4E U+FF4E is `ann`). Both sides then go
        through the database's lower(), the same function as the unique constraint below, so
        this is at most one row (Python's lower() or `iexact`'s upper() can fold differently,
        e.g. U+017F long s and `s`)."""
        name = self.model.normalize_username(username)
        return self.alias(username_lower=Lower("username")).filter(username_lower=Lower(Value(name)))

    def get_by_natural_key(self, username: str | None) -> "User":
        # Django's ModelBackend (and so the password grant, the admin login and
        # createsuperuser) finds accounts here: a username is one account whatever its case.
        return self.with_username(username or "").get()


class User(AbstractUser):
    """An API user: bidder, seller, or both. Username and email are unique regardless of case
    (by the database's lower(): every letter on PostgreSQL, ASCII letters only on SQLite)."""

    email = models.EmailField("email address")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    city = models.CharField(max_length=100, blank=True)

    REQUIRED_FIELDS = ["email"]

    objects: ClassVar[UserManager] = UserManager()

    @classmethod
    def clean_username(cls, username: str) -> str:
        """`username` as an account would have it: NFKC-normalised, as Django's own forms and
        createsuperuser store it (fullwidth U+FF41 U+FF4E U+FF4E is `ann`), then checked by the
        field's validators again, since normalising can lengthen a name. Raises Django's
        ValidationError for a name no account can have."""
        name = cls.normalize_username(username)
        cast(models.CharField, cls._meta.get_field("username")).run_validators(name)
        return name

    class Meta:
        swappable = "AUTH_USER_MODEL"
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
            ),
        ]
