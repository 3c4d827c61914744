"""ASGI entry point; refuses development settings unless DPS_DEVELOPMENT=1."""

import os

from django.core.asgi import get_asgi_application

from .production import refuse_development_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dps_portal.settings")
application = get_asgi_application()
refuse_development_settings("the ASGI server")
