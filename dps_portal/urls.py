"""URL map: the portal under /portal/, sign-in, admin. The root paths /enrollments…,
/enrollmentGroups…, /registrations… and /{idScope}/… belong to the service and device APIs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from enrollments.forms.sign_in import SignInForm

from .health import healthz

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
    # Service API at the root paths Azure DPS uses, plus /api/schema/ and /api/docs/.
    path("", include("enrollments.api.urls")),
]
