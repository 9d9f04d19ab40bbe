from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """An API user: bidder, seller, or both. Username and email are unique regardless of case
    (by the database's lower(): every letter on PostgreSQL, ASCII letters only on SQLite)."""

    email = models.EmailField("email address")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    city = models.CharField(max_length=100, blank=True)

    REQUIRED_FIELDS = ["email"]

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
