from auctions.models import Country

from .models import User


def user_username_taken(*, username: str) -> bool:
    return User.objects.with_username(username).exists()


def user_email_taken(*, email: str, exclude: User | None = None) -> bool:
    users = User.objects.filter(email__iexact=email)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def country_exists(*, code: str) -> bool:
    return Country.objects.filter(code=code).exists()
