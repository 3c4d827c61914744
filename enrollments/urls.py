"""Portal URLs (mounted at /portal/). Names follow NetBox: enrollments:<model>_<action>."""

from django.urls import path

from .views import overview

app_name = "enrollments"

urlpatterns = [
    path("", overview.overview, name="overview"),
]
