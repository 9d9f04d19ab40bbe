import hashlib

from oauth2_provider.models import RefreshToken

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


def token_checksum(raw_token: str) -> str:
    """What django-oauth-toolkit stores and looks a token up by (`token_checksum`)."""
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def refresh_token_held_by_another(*, refresh_token: str, user: User) -> bool:
    """Whether this refresh token was issued to someone else. An unknown token is nobody's."""
    return RefreshToken.objects.filter(token_checksum=token_checksum(refresh_token)).exclude(user=user).exists()
