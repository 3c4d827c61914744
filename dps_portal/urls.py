"""URL map: the portal under /portal/, sign-in, admin. The root paths /enrollments…,
/enrollmentGroups…, /registrations… and /{idScope}/… belong to the service and device APIs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from enrollments.forms.sign_in import SignInForm

from .health import healthz


class FaviconRedirect(RedirectView):
    """/favicon.ico → the icon's static URL, resolved per request (in production the manifest storage
    names the file by its hash, and the manifest exists only after collectstatic)."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("img/favicon.svg")


# Database unavailable: 503 (friendly page or DPS JSON); any other uncaught error: 500.html.
handler500 = "dps_portal.outages.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="enrollments:overview", permanent=False)),
    path("portal/", include("enrollments.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (the API docs, admin).
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
    # Device API at Azure's paths under /{idScope}/ (enrollments/api/devices.py).
    path("", include("enrollments.api.device_urls")),
    # Service API at the root paths Azure DPS uses, plus /api/schema/ and /api/docs/.
    path("", include("enrollments.api.urls")),
]
