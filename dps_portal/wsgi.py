"""WSGI entry point (gunicorn dps_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dps_portal.settings")
application = get_wsgi_application()
