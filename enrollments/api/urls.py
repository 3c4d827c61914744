"""Service API routes at the root, exactly as Azure DPS names them: no trailing slash (Azure's SDKs
build these URLs; APPEND_SLASH never redirects them because they match as they are). The OpenAPI
document and its offline browsable docs live under /api/."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views

# Swagger UI and Redoc style their pages with inline styles, and Redoc parses in a blob: worker:
# only these two pages relax the portal's policy (their scripts are files, never inline).
_docs_policy = csp_update({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})
# Redoc's sidebar shows its maker's logo from their CDN (absent offline; nothing else is fetched).
_redoc_policy = csp_update(
    {
        "style-src": [SELF, UNSAFE_INLINE],
        "worker-src": [SELF, "blob:"],
        "img-src": [SELF, "data:", "https://cdn.redoc.ly"],
    }
)

urlpatterns = [
    path("enrollments", views.IndividualEnrollmentBulkView.as_view(), name="api_enrollment_bulk"),
    path("enrollments/query", views.IndividualEnrollmentQueryView.as_view(), name="api_enrollment_query"),
    path("enrollments/<str:id>", views.IndividualEnrollmentView.as_view(), name="api_enrollment"),
    path(
        "enrollments/<str:id>/attestationmechanism",
        views.IndividualEnrollmentAttestationView.as_view(),
        name="api_enrollment_attestation",
    ),
    path("enrollmentGroups", views.EnrollmentGroupBulkView.as_view(), name="api_enrollment_group_bulk"),
    path("enrollmentGroups/query", views.EnrollmentGroupQueryView.as_view(), name="api_enrollment_group_query"),
    path("enrollmentGroups/<str:id>", views.EnrollmentGroupView.as_view(), name="api_enrollment_group"),
    path(
        "enrollmentGroups/<str:id>/attestationmechanism",
        views.EnrollmentGroupAttestationView.as_view(),
        name="api_enrollment_group_attestation",
    ),
    path("registrations/<str:id>", views.RegistrationStateView.as_view(), name="api_registration"),
    path("registrations/<str:id>/query", views.RegistrationStateQueryView.as_view(), name="api_registration_query"),
    # Everything else under the service API's roots answers DPS's JSON 404, not the HTML page.
    re_path(r"^(?:enrollments|enrollmentGroups|registrations)(?:/.*)?$", views.no_route, name="api_no_route"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", _docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api_schema")), name="api_docs"),
    path("api/redoc/", _redoc_policy(SpectacularRedocView.as_view(url_name="api_schema")), name="api_redoc"),
]
