"""Service API routes at the root, exactly as Azure DPS names them: no trailing slash (Azure's SDKs
build these URLs; APPEND_SLASH never redirects them because they match as they are). The OpenAPI
document and its offline browsable docs live under /api/."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
]
