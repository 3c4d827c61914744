"""`manage.py connection_string [--policy NAME]`: print a shared access policy's connection string."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from enrollments.models import SharedAccessPolicy
from enrollments.sas import service_connection_string


class Command(BaseCommand):
    help = (
        "Print the service connection string of a shared access policy (default: provisioningserviceowner, "
        "created on first use), for Azure's DPS service SDK or any DPS script. HostName comes from "
        "DPS_PUBLIC_URL; it keeps http:// when that URL is plain HTTP."
    )

    def add_arguments(self, parser):
        parser.add_argument("--policy", default=SharedAccessPolicy.OWNER_NAME, help="policy name")
        parser.add_argument("--secondary", action="store_true", help="use the secondary key")

    def handle(self, *args, policy: str, secondary: bool, **options):
        owner = SharedAccessPolicy.objects.ensure_owner()
        found = owner if policy.lower() == owner.name.lower() else None
        found = found or SharedAccessPolicy.objects.filter(name__iexact=policy).first()
        if found is None:
            names = ", ".join(SharedAccessPolicy.objects.values_list("name", flat=True))
            raise CommandError(f"No shared access policy named “{policy}”. Policies: {names}.")
        key = found.secondary_key if secondary else found.primary_key
        self.stdout.write(
            service_connection_string(public_url=settings.DPS_PUBLIC_URL, policy_name=found.name, key=key)
        )
