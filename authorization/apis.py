from http import HTTPStatus
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_yasg.utils import swagger_auto_schema
from rest_framework import serializers
from rest_framework.authentication import get_authorization_header
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auctioneer.fields import StrictCharField
from auctioneer.policies import WritePolicyMixin, WritesNeedWriteScope
from auctioneer.schema import BEARER, PUBLIC, problem_response

from . import services
from .models import User
from .throttles import RegisterAddressThrottle, TokenAddressThrottle, TokenUsernameThrottle

SERVICE_ERRORS = {
    HTTPStatus.BAD_GATEWAY: problem_response("The Authentication Service failed or answered nonsense"),
    HTTPStatus.SERVICE_UNAVAILABLE: problem_response(
        "The Authentication Service is unreachable, or this server's OAuth client is not configured"
    ),
}
AUTH_ERRORS = {HTTPStatus.UNAUTHORIZED: problem_response("No valid bearer token")}
# Changing the account: a token with the `write` scope (its 403 is listed by the schema
# generator, auctioneer/schema.py), and THROTTLE_ACCOUNT per user, which also brakes guessing
# the password through `old_password` / `password` with a stolen token.
ACCOUNT_WRITE_ERRORS = {
    **AUTH_ERRORS,
    HTTPStatus.TOO_MANY_REQUESTS: problem_response("Too many account changes by this user (see Retry-After)"),
}
INVALID = {HTTPStatus.BAD_REQUEST: problem_response("Invalid fields (see `errors`)")}


class TokenOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "TokenPair"

    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="seconds until the access token expires")
    token_type = serializers.CharField(help_text='"Bearer"')
    scope = serializers.CharField(help_text='space-separated scopes, e.g. "read write"')


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        ref_name = "Account"
        fields = ["id", "username", "email", "first_name", "last_name", "country", "city", "date_joined"]
        read_only_fields = fields


def _caller(request: Request) -> User:
    assert isinstance(request.user, User)  # guaranteed by IsAuthenticated
    return request.user


def _bearer_token(request: Request) -> str:
    parts = get_authorization_header(request).split()
    if len(parts) == 2 and parts[0].lower() == b"bearer":
        return parts[1].decode("latin-1")
    return ""


def _token_data(tokens: Any) -> dict[str, Any]:
    return dict(TokenOutputSerializer(tokens).data)


@method_decorator(never_cache, name="dispatch")
class AuthorizationApi(APIView):
    """Every answer here carries tokens or an account's own data, so none may be stored by a
    cache (`Cache-Control: no-store`; RFC 6749 §5.1 asks it of token answers)."""


class RegisterApi(AuthorizationApi):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterAddressThrottle]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegisterInput"

        username = StrictCharField(max_length=150, validators=[UnicodeUsernameValidator()])
        email = serializers.EmailField(max_length=254)
        password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
        first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        country = StrictCharField(max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2 code")
        city = StrictCharField(max_length=100, required=False, allow_blank=True)

    class OutputSerializer(TokenOutputSerializer):
        class Meta:
            ref_name = "Registration"

        user = UserOutputSerializer()

    @swagger_auto_schema(
        operation_id="auth_register",
        operation_summary="Create an account and get its first token pair",
        request_body=InputSerializer,
        responses={
            HTTPStatus.CREATED: OutputSerializer,
            **INVALID,
            HTTPStatus.CONFLICT: problem_response("The username or the email is taken"),
            HTTPStatus.TOO_MANY_REQUESTS: problem_response(
                "Too many registrations from this address (see Retry-After)"
            ),
            **SERVICE_ERRORS,
        },
        security=PUBLIC,
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = services.user_register(**serializer.validated_data)
        return Response({**_token_data(tokens), "user": UserOutputSerializer(user).data}, status=HTTPStatus.CREATED)


class TokenApi(AuthorizationApi):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenAddressThrottle, TokenUsernameThrottle]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenInput"

        username = StrictCharField(max_length=254, help_text="Matched ignoring case, as register matches it.")
        password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @swagger_auto_schema(
        operation_id="auth_token",
        operation_summary="Exchange username and password for a token pair",
        request_body=InputSerializer,
        responses={
            HTTPStatus.OK: TokenOutputSerializer,
            **INVALID,
            HTTPStatus.UNAUTHORIZED: problem_response("Wrong username or password, or a deactivated account"),
            HTTPStatus.TOO_MANY_REQUESTS: problem_response(
                "Too many attempts for this username or address (see Retry-After)"
            ),
            **SERVICE_ERRORS,
        },
        security=PUBLIC,
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.token_obtain(**serializer.validated_data)
        return Response(_token_data(tokens))


class TokenRefreshApi(AuthorizationApi):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenRefreshInput"

        refresh_token = StrictCharField(max_length=255)

    @swagger_auto_schema(
        operation_id="auth_token_refresh",
        operation_summary="Trade a refresh token for a new pair (the old refresh token stops working)",
        request_body=InputSerializer,
        responses={
            HTTPStatus.OK: TokenOutputSerializer,
            **INVALID,
            HTTPStatus.UNAUTHORIZED: problem_response("The refresh token is invalid, expired, revoked or already used"),
            **SERVICE_ERRORS,
        },
        security=PUBLIC,
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.token_refresh(**serializer.validated_data)
        return Response(_token_data(tokens))


class TokenRevokeApi(AuthorizationApi):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenRevokeInput"

        refresh_token = StrictCharField(max_length=255, required=False, allow_blank=True)

    @swagger_auto_schema(
        operation_id="auth_token_revoke",
        operation_summary="Revoke the bearer token (and a refresh token, if given) at once",
        request_body=InputSerializer,
        responses={
            HTTPStatus.NO_CONTENT: "Revoked",
            **INVALID,
            **AUTH_ERRORS,
            HTTPStatus.FORBIDDEN: problem_response("The refresh token is another account's; nothing was revoked"),
            **SERVICE_ERRORS,
        },
        security=BEARER,
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_revoke(
            access_token=request.auth,
            raw_access_token=_bearer_token(request),
            refresh_token=serializer.validated_data.get("refresh_token", ""),
        )
        return Response(status=HTTPStatus.NO_CONTENT)


class _AccountWriteApi(WritePolicyMixin, AuthorizationApi):
    """Reads need a token; writes need the `write` scope and are throttled per user."""

    permission_classes = [IsAuthenticated, WritesNeedWriteScope]
    throttle_scope = "account"


class AccountApi(_AccountWriteApi):
    class UpdateInputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccountUpdateInput"

        email = serializers.EmailField(max_length=254, required=False)
        first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        country = StrictCharField(
            max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2 code; empty clears it"
        )
        city = StrictCharField(max_length=100, required=False, allow_blank=True)

    class DeleteInputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccountDeleteInput"

        password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @swagger_auto_schema(
        operation_id="auth_account_read",
        operation_summary="The caller's profile",
        responses={HTTPStatus.OK: UserOutputSerializer, **AUTH_ERRORS},
        security=BEARER,
    )
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)

    @swagger_auto_schema(
        operation_id="auth_account_update",
        operation_summary="Change the caller's profile (other fields are ignored)",
        request_body=UpdateInputSerializer,
        responses={
            HTTPStatus.OK: UserOutputSerializer,
            **INVALID,
            **ACCOUNT_WRITE_ERRORS,
            HTTPStatus.CONFLICT: problem_response("Another account has this email"),
        },
        security=BEARER,
    )
    def patch(self, request: Request) -> Response:
        serializer = self.UpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=_caller(request), **serializer.validated_data)
        return Response(UserOutputSerializer(user).data)

    @swagger_auto_schema(
        operation_id="auth_account_delete",
        operation_summary="Deactivate the caller's account (history kept, every token revoked)",
        request_body=DeleteInputSerializer,
        responses={
            HTTPStatus.NO_CONTENT: "Deactivated",
            HTTPStatus.BAD_REQUEST: problem_response("Missing or wrong password (see `errors`)"),
            **ACCOUNT_WRITE_ERRORS,
        },
        security=BEARER,
    )
    def delete(self, request: Request) -> Response:
        serializer = self.DeleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_deactivate(user=_caller(request), **serializer.validated_data)
        return Response(status=HTTPStatus.NO_CONTENT)


class AccountPasswordApi(_AccountWriteApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordChangeInput"

        old_password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
        new_password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @swagger_auto_schema(
        operation_id="auth_account_password",
        operation_summary="Change the password; every other token of the caller is revoked",
        request_body=InputSerializer,
        responses={
            HTTPStatus.NO_CONTENT: "Changed",
            HTTPStatus.BAD_REQUEST: problem_response("Wrong old password or weak new password (see `errors`)"),
            **ACCOUNT_WRITE_ERRORS,
        },
        security=BEARER,
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_password_change(user=_caller(request), current_token=request.auth, **serializer.validated_data)
        return Response(status=HTTPStatus.NO_CONTENT)
