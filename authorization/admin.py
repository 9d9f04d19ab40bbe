import math
from http import HTTPStatus
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.views import APIView

from .models import User
from .services import user_tokens_revoke
from .throttles import TokenAddressThrottle, TokenUsernameThrottle


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login form behind the brakes of `POST /api/auth/token`: the same budgets per
    username and per address, shared with it, so a staff password is no easier to guess here."""
    if request.method == "POST":
        form = Request(request, parsers=[FormParser(), MultiPartParser()])
        try:
            form.data  # noqa: B018 (parsed here, so that a body no form can have meets the admin's own answer)
        except APIException:
            return admin.site.login(request, extra_context)  # no form fields: no login to brake
        for throttle in (TokenAddressThrottle(), TokenUsernameThrottle()):
            if not throttle.allow_request(form, APIView()):  # the throttles look at the request only
                response = HttpResponse(
                    "Too many login attempts; try again later.\n",
                    status=HTTPStatus.TOO_MANY_REQUESTS,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(math.ceil(throttle.wait() or 1))
                return response
    return admin.site.login(request, extra_context)


class PasswordChangeEndsTokensForm(AdminPasswordChangeForm):
    """The admin's "Change password" form: the new password (or none) ends every API token of
    the account, as `POST /api/auth/account/password` does, so resetting a stolen account's
    password locks the thief out instead of leaving their tokens and refresh tokens working."""

    def save(self, commit: bool = True) -> Any:
        if not commit:
            return super().save(commit=False)
        with transaction.atomic():
            user = super().save()
            user_tokens_revoke(user=user)
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = PasswordChangeEndsTokensForm
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Location", {"fields": ("country", "city")}),
    )
    list_display = ("username", "email", "country", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "country")
    search_fields = ("username", "email", "first_name", "last_name")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_tokens_revoke(user=obj)  # deactivated here: its tokens end now, as with DELETE account
