"""How the Authorization API reaches the Authentication Service (`/o/`).

One small interface, `TokenService`, with two transports:

- `HttpTokenService` posts to `OAUTH_TOKEN_URL` / `OAUTH_TOKEN_REVOKE_URL` with `requests`, when
  they are set: the Authentication Service may then run anywhere.
- `InProcessTokenService` calls django-oauth-toolkit's own `TokenView` / `RevokeTokenView` with
  a request built in memory, when they are not: one server never sends HTTP to itself (with a
  single gunicorn worker that call would wait on itself forever).

Both authenticate as the confidential "Resource owner password-based" application
(`OAUTH_CLIENT_ID` / `OAUTH_CLIENT_SECRET`) and both turn the service's answers into the same
results and problem details.
"""

from __future__ import annotations

import base64
import json
import logging
from io import BytesIO
from typing import Any, Literal, NoReturn, Protocol, TypedDict
from urllib.parse import quote_plus, urlencode

import requests
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.urls import reverse
from oauth2_provider.views import RevokeTokenView, TokenView
from rest_framework import status

from auctioneer.problems import ApplicationError, ServiceUnavailableError

logger = logging.getLogger(__name__)

TokenKind = Literal["access_token", "refresh_token"]
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_in", "token_type", "scope")


class TokenPair(TypedDict):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str
    scope: str


class InvalidGrantError(ApplicationError):
    """The service refused the grant: wrong password, unknown user, used refresh token."""

    status_code = status.HTTP_401_UNAUTHORIZED
    problem_type = "invalid-credentials"
    title = "Invalid credentials"


class BadGatewayError(ApplicationError):
    status_code = status.HTTP_502_BAD_GATEWAY
    problem_type = "bad-gateway"
    title = "Bad gateway"


class TokenService(Protocol):
    def password_grant(self, *, username: str, password: str) -> TokenPair: ...

    def refresh(self, *, refresh_token: str) -> TokenPair: ...

    def revoke(self, *, token: str, hint: TokenKind) -> None: ...


class _BaseTokenService:
    """The grants and the mapping of the service's answers; subclasses only `_post`."""

    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret

    def password_grant(self, *, username: str, password: str) -> TokenPair:
        status_code, body = self._post("token", {"grant_type": "password", "username": username, "password": password})
        return self._token_pair(status_code, body, refused="Invalid username or password.")

    def refresh(self, *, refresh_token: str) -> TokenPair:
        status_code, body = self._post("token", {"grant_type": "refresh_token", "refresh_token": refresh_token})
        return self._token_pair(
            status_code, body, refused="The refresh token is invalid, expired, revoked or already used."
        )

    def revoke(self, *, token: str, hint: TokenKind) -> None:
        # RFC 7009 §2.2: 200 whether or not the token existed.
        status_code, body = self._post("revoke", {"token": token, "token_type_hint": hint})
        if status_code != status.HTTP_200_OK:
            self._refuse(status_code, body)

    def _post(self, endpoint: str, data: dict[str, str]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def _authorization(self) -> str:
        if not (self.client_id and self.client_secret):
            raise ServiceUnavailableError(
                "The Authorization API has no OAuth client credentials: set OAUTH_CLIENT_ID and "
                "OAUTH_CLIENT_SECRET (`make setup` registers the application and writes them to .env)."
            )
        # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
        pair = f"{quote_plus(self.client_id)}:{quote_plus(self.client_secret)}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def _token_pair(self, status_code: int, body: dict[str, Any], *, refused: str) -> TokenPair:
        if status_code == status.HTTP_200_OK and all(field in body for field in TOKEN_FIELDS):
            return TokenPair(**{field: body[field] for field in TOKEN_FIELDS})  # type: ignore[typeddict-item]
        if status_code == status.HTTP_200_OK:
            raise BadGatewayError("The Authentication Service answered without a token pair.")
        if body.get("error") == "invalid_grant":
            raise InvalidGrantError(refused)
        self._refuse(status_code, body)

    def _refuse(self, status_code: int, body: dict[str, Any]) -> NoReturn:
        error = body.get("error")
        logger.warning("Authentication Service refused the Authorization API: %s %s", status_code, body)
        if error in ("invalid_client", "unauthorized_client", "unsupported_grant_type"):
            # The configuration is wrong, not the caller's request.
            raise ServiceUnavailableError(
                f"The Authentication Service refused this server's OAuth client ({error}): check that "
                "OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET name a confidential 'Resource owner password-based' "
                "application (`make setup` registers one)."
            )
        raise BadGatewayError(f"The Authentication Service answered {status_code} ({error or 'no error code'}).")


class HttpTokenService(_BaseTokenService):
    def __init__(self, *, client_id: str, client_secret: str, token_url: str, revoke_url: str, timeout: float) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret)
        self.urls = {"token": token_url, "revoke": revoke_url}
        self.timeout = timeout

    def _post(self, endpoint: str, data: dict[str, str]) -> tuple[int, dict[str, Any]]:
        url = self.urls[endpoint]
        if not url:
            raise ServiceUnavailableError(
                "OAUTH_TOKEN_URL and OAUTH_TOKEN_REVOKE_URL must be set together (or both left unset)."
            )
        headers = {"Authorization": self._authorization(), "Accept": "application/json"}
        try:
            response = requests.post(url, data=data, headers=headers, timeout=self.timeout, allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as exc:
            logger.warning("Authentication Service unreachable at %s: %s", url, exc)
            raise ServiceUnavailableError("The Authentication Service is unreachable; try again shortly.") from exc
        except requests.RequestException as exc:
            logger.warning("Authentication Service call to %s failed: %s", url, exc)
            raise BadGatewayError("The call to the Authentication Service failed.") from exc
        if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            raise BadGatewayError(f"The Authentication Service failed ({response.status_code}).")
        return response.status_code, _json_object(response.content)


class InProcessTokenService(_BaseTokenService):
    _views = {"token": TokenView.as_view(), "revoke": RevokeTokenView.as_view()}
    _url_names = {"token": "oauth2_provider:token", "revoke": "oauth2_provider:revoke-token"}

    def _post(self, endpoint: str, data: dict[str, str]) -> tuple[int, dict[str, Any]]:
        body = urlencode(data).encode()
        request = WSGIRequest(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": reverse(self._url_names[endpoint]),
                "SERVER_NAME": "localhost",
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "wsgi.url_scheme": "http",
                "wsgi.input": BytesIO(body),
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_AUTHORIZATION": self._authorization(),
            }
        )
        response: HttpResponse = self._views[endpoint](request)
        if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            raise BadGatewayError(f"The Authentication Service failed ({response.status_code}).")
        return response.status_code, _json_object(response.content)


def _json_object(content: bytes) -> dict[str, Any]:
    if not content:
        return {}
    try:
        body = json.loads(content)
    except ValueError as exc:
        raise BadGatewayError("The Authentication Service answered with something that is not JSON.") from exc
    if not isinstance(body, dict):
        raise BadGatewayError("The Authentication Service answered with something that is not a JSON object.")
    return body


def get_token_service() -> TokenService:
    """HTTP when OAUTH_TOKEN_URL / OAUTH_TOKEN_REVOKE_URL are set, else in-process."""
    credentials = {"client_id": settings.OAUTH_CLIENT_ID, "client_secret": settings.OAUTH_CLIENT_SECRET}
    if settings.OAUTH_TOKEN_URL or settings.OAUTH_TOKEN_REVOKE_URL:
        return HttpTokenService(
            **credentials,
            token_url=settings.OAUTH_TOKEN_URL,
            revoke_url=settings.OAUTH_TOKEN_REVOKE_URL,
            timeout=settings.OAUTH_HTTP_TIMEOUT,
        )
    return InProcessTokenService(**credentials)
