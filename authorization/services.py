from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, revoke_access_token

from auctioneer.problems import ConflictError, ForbiddenError, InvalidInputError
from auctions.models import iso_code_from_input

from . import selectors
from .models import User
from .oauth_client import TokenPair, get_token_service


def user_register(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    country: str = "",
    city: str = "",
) -> tuple[User, TokenPair]:
    """Create the account and log it in. If no token can be had, the account is removed
    again, so the client can send the same request once the service is back."""
    username = _username(username)
    email = User.objects.normalize_email(email)
    country = _country_code(country)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, country=country, city=city)
    _check_password(password, user=user, field="password")
    if selectors.user_username_taken(username=username):
        raise ConflictError("This username is taken.", errors={"username": ["This username is taken."]})
    _check_email_free(email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ConflictError("This username or email is taken.") from exc

    try:
        tokens = get_token_service().password_grant(username=username, password=password)
    except BaseException:
        user.delete()
        raise
    return user, tokens


def token_obtain(*, username: str, password: str) -> TokenPair:
    return get_token_service().password_grant(username=username, password=password)


def token_refresh(*, refresh_token: str) -> TokenPair:
    return get_token_service().refresh(refresh_token=refresh_token)


def token_revoke(*, access_token: AccessToken, raw_access_token: str, refresh_token: str = "") -> None:
    """Revoke the caller's access token and, if given, a refresh token of the caller's, at once.
    Another account's token (refresh or access) is refused (403) before anything is revoked."""
    if refresh_token and selectors.token_held_by_another(token=refresh_token, user=access_token.user):
        raise ForbiddenError(
            "This token belongs to another account.",
            errors={"refresh_token": ["This token belongs to another account."]},
        )
    service = get_token_service()
    if refresh_token:
        service.revoke(token=refresh_token, hint="refresh_token")
    application = access_token.application
    if raw_access_token and application is not None and application.client_id == settings.OAUTH_CLIENT_ID:
        service.revoke(token=raw_access_token, hint="access_token")
    else:
        # Issued to another client (e.g. through /o/authorize): RFC 7009 §2.1 lets only that
        # client revoke it at /o/revoke_token/, but its holder asked, so it goes here.
        # (Likewise when the raw token is unknown, which only the Authorization header gives.)
        revoke_access_token(access_token)


def user_update(
    *,
    user: User,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    country: str | None = None,
    city: str | None = None,
) -> User:
    if email is not None:
        email = User.objects.normalize_email(email)
        _check_email_free(email, exclude=user)
        user.email = email
    if country is not None:
        user.country = _country_code(country)
    if first_name is not None:
        user.first_name = first_name
    if last_name is not None:
        user.last_name = last_name
    if city is not None:
        user.city = city
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "first_name", "last_name", "country", "city"])
    except IntegrityError as exc:
        raise ConflictError("This email is taken.", errors={"email": ["This email is taken."]}) from exc
    return user


def user_password_change(
    *, user: User, old_password: str, new_password: str, current_token: AccessToken | None = None
) -> None:
    """Set a new password; every token of the user but the one in use stops working."""
    _check_current_password(user, old_password, field="old_password")
    _check_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        user_tokens_revoke(user=user, keep=current_token)


def user_deactivate(*, user: User, password: str) -> None:
    """Close the account: it can no longer log in and its tokens stop working, but its items,
    auctions and bids stay (others' history refers to them)."""
    _check_current_password(user, password, field="password")
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        user_tokens_revoke(user=user)


def user_tokens_revoke(*, user: User, keep: AccessToken | None = None) -> None:
    """Revoke every access and refresh token of `user`, except `keep` and its refresh token."""
    refresh_tokens = RefreshToken.objects.filter(user=user, revoked__isnull=True)
    access_tokens = AccessToken.objects.filter(user=user)
    if keep is not None:
        refresh_tokens = refresh_tokens.exclude(access_token=keep)
        access_tokens = access_tokens.exclude(pk=keep.pk)
    with transaction.atomic():
        refresh_tokens.update(revoked=timezone.now())
        access_tokens.delete()


def _username(username: str) -> str:
    try:
        return User.clean_username(username)
    except DjangoValidationError as exc:
        raise InvalidInputError("The username is invalid.", errors={"username": list(exc.messages)}) from exc


def _country_code(code: str) -> str:
    code = iso_code_from_input(code)
    if code and not selectors.country_exists(code=code):
        message = f"'{code}' is not an ISO 3166-1 alpha-2 country code (see GET /api/v1/metadata/countries)."
        raise InvalidInputError("The country is unknown.", errors={"country": [message]})
    return code


def _check_password(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise InvalidInputError("The password is too weak.", errors={field: list(exc.messages)}) from exc


def _check_current_password(user: User, password: str, *, field: str) -> None:
    if not user.check_password(password):
        raise InvalidInputError("The password is wrong.", errors={field: ["The password is wrong."]})


def _check_email_free(email: str, *, exclude: User | None = None) -> None:
    if selectors.user_email_taken(email=email, exclude=exclude):
        raise ConflictError(
            "An account with this email exists.", errors={"email": ["An account with this email exists."]}
        )
