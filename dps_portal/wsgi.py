"""WSGI entry point (gunicorn dps_portal.wsgi); refuses development settings unless DPS_DEVELOPMENT=1."""

import os

from django.core.wsgi import get_wsgi_application

from .production import refuse_development_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dps_portal.settings")
application = get_wsgi_application()
refuse_development_settings("the WSGI server")
