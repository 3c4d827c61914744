"""`manage.py ensure_admin`: make sure an administrator account exists, with no fixed password."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

WEAK_PASSWORD = (
    "DPS_ADMIN_PASSWORD is not accepted as the administrator's password: {problems} "
    "Set DPS_ADMIN_PASSWORD to a stronger password (or leave it unset to have one generated), then run "
    "ensure_admin again."
)


class Command(BaseCommand):
    help = (
        "Create the administrator account if no superuser exists yet. The password comes from "
        "DPS_ADMIN_PASSWORD (checked by Django's password validators, AUTH_PASSWORD_VALIDATORS) or is "
        "generated and printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator account exists already (reset it with 'manage.py changepassword').")
            return
        given = os.environ.get("DPS_ADMIN_PASSWORD")
        password = given or secrets.token_urlsafe(12)
        if given:
            try:
                validate_password(given, user=User(username=username))
            except ValidationError as exc:
                raise CommandError(WEAK_PASSWORD.format(problems=" ".join(exc.messages))) from None
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS("Created the administrator account. Sign in at /accounts/login/ with"))
        self.stdout.write(f"    Username: {username}")
        if given:
            self.stdout.write("    Password: the value of DPS_ADMIN_PASSWORD")
        else:
            self.stdout.write(f"    Password: {password}")
            self.stdout.write(
                "This password is shown only once: note it now, or change it with 'manage.py changepassword'."
            )
