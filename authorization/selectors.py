import hashlib

from django.core.exceptions import ValidationError
from oauth2_provider.models import AccessToken, RefreshToken

from auctions.models import Country

from .models import User


def user_username_taken(*, username: str) -> bool:
    return User.objects.with_username(username).exists()


def user_id_by_username(*, username: str) -> int | None:
    """The id of the account a login with `username` would reach, or None. A name that no
    account can have (User.clean_username) is not looked up: the throttles call this before
    the body is validated, and the database refuses some text (PostgreSQL: NUL)."""
    try:
        User.clean_username(username)
    except ValidationError:
        return None
    return User.objects.with_username(username).values_list("pk", flat=True).first()


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


def token_held_by_another(*, token: str, user: User) -> bool:
    """Whether this token, refresh or access, was issued to someone else. Both kinds count:
    revocation looks a token up in both tables whatever its hint says (RFC 7009 §2.1). An
    unknown token is nobody's."""
    checksum = token_checksum(token)
    return any(
        model.objects.filter(token_checksum=checksum).exclude(user=user).exists()
        for model in (RefreshToken, AccessToken)
    )
