"""Portal URLs (mounted at /portal/). Names follow NetBox: enrollments:<model>_<action>."""

from django.urls import path

from .views import details, overview, wizard

app_name = "enrollments"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("enrollment-groups/add/", wizard.enrollment_group_add, name="enrollment_group_add"),
    path(
        "enrollment-groups/add/<uuid:draft_id>/<slug:tab>/",
        wizard.enrollment_group_add_tab,
        name="enrollment_group_add_tab",
    ),
    path(
        "enrollment-groups/<str:enrollment_group_id>/details/",
        details.enrollment_group_detail,
        name="enrollment_group_detail",
    ),
    path("individual-enrollments/add/", wizard.individual_enrollment_add, name="individual_enrollment_add"),
    path(
        "individual-enrollments/add/<uuid:draft_id>/<slug:tab>/",
        wizard.individual_enrollment_add_tab,
        name="individual_enrollment_add_tab",
    ),
    path(
        "individual-enrollments/<str:registration_id>/details/",
        details.individual_enrollment_detail,
        name="individual_enrollment_detail",
    ),
]
