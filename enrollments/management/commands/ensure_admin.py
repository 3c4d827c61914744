"""`manage.py ensure_admin`: make sure an administrator account exists, with no fixed password."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the administrator account if no superuser exists yet. The password comes from "
        "DPS_ADMIN_PASSWORD or is generated and printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        import os

        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator account exists already (reset it with 'manage.py changepassword').")
            return
        password = os.environ.get("DPS_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS("Created the administrator account. Sign in at /accounts/login/ with"))
        self.stdout.write(f"    Username: {username}")
        if os.environ.get("DPS_ADMIN_PASSWORD"):
            self.stdout.write("    Password: the value of DPS_ADMIN_PASSWORD")
        else:
            self.stdout.write(f"    Password: {password}")
            self.stdout.write(
                "This password is shown only once: note it now, or change it with 'manage.py changepassword'."
            )
