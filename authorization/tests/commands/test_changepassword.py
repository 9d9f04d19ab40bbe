from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse

from authorization.management.commands.changepassword import Command
from authorization.tests.factories import NEW_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_changepassword_ends_the_accounts_tokens(api_client, oauth_client, login, bearer, monkeypatch, capsys):
    # Django's own command only saved the password: the thief's tokens kept working.
    victim, bystander = UserFactory.create(), UserFactory.create()
    stolen, other = login(victim), login(bystander)
    monkeypatch.setattr(Command, "_get_pass", lambda self, prompt="Password: ": NEW_PASSWORD)

    call_command("changepassword", victim.username)

    assert f"Password changed successfully for user '{victim.username}'; its API tokens were revoked" in (
        capsys.readouterr().out
    )
    victim.refresh_from_db()
    assert victim.check_password(NEW_PASSWORD)
    assert bearer(stolen["access_token"]).get(reverse("authorization:account")).status_code == HTTPStatus.UNAUTHORIZED
    refresh = api_client.post(reverse("authorization:token-refresh"), {"refresh_token": stolen["refresh_token"]})
    assert refresh.status_code == HTTPStatus.UNAUTHORIZED
    assert bearer(other["access_token"]).get(reverse("authorization:account")).status_code == HTTPStatus.OK
