"""`manage.py ensure_admin`: DPS_ADMIN_PASSWORD must pass Django's password validators."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Zx9-q", "too short"),
        ("password123", "too common"),
        ("73946182735", "entirely numeric"),
        ("fleetoperator1", "too similar to the username"),
    ],
)
def test_a_weak_admin_password_is_refused_saying_why(monkeypatch, password, problem):
    monkeypatch.setenv("DPS_ADMIN_PASSWORD", password)
    with pytest.raises(CommandError) as error:
        call_command("ensure_admin", username="fleetoperator")
    message = str(error.value)
    assert message.startswith("DPS_ADMIN_PASSWORD is not accepted")
    assert problem in message
    assert password not in message.replace("DPS_ADMIN_PASSWORD", "")
    assert not get_user_model().objects.exists()


def test_a_strong_admin_password_is_taken(monkeypatch, capsys):
    monkeypatch.setenv("DPS_ADMIN_PASSWORD", "correct horse battery staple 42")
    call_command("ensure_admin")
    user = get_user_model().objects.get()
    assert user.is_superuser and user.check_password("correct horse battery staple 42")
    assert "correct horse" not in capsys.readouterr().out


def test_a_generated_password_is_printed_once(monkeypatch, capsys):
    monkeypatch.delenv("DPS_ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    out = capsys.readouterr().out
    password = out.split("Password: ", 1)[1].split()[0]
    assert get_user_model().objects.get().check_password(password)
