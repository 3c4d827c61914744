"""Portal URLs (mounted at /portal/). Names follow NetBox: enrollments:<model>_<action>."""

from django.urls import path

from .views import certificates as certificate_views
from .views import details, overview, wizard
from .views import hubs as hub_views
from .views import lists as list_views
from .views import policies as policy_views
from .views import registrations as registration_views

app_name = "enrollments"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("server-ca-certificate/", overview.server_ca_certificate, name="server_ca_certificate"),
    path("enrollment-groups/", list_views.enrollment_group_list, name="enrollment_group_list"),
    path("enrollment-groups/delete/", list_views.enrollment_group_bulk_delete, name="enrollment_group_bulk_delete"),
    path("individual-enrollments/", list_views.individual_enrollment_list, name="individual_enrollment_list"),
    path(
        "individual-enrollments/delete/",
        list_views.individual_enrollment_bulk_delete,
        name="individual_enrollment_bulk_delete",
    ),
    path("registration-records/", registration_views.registration_records, name="registration_records"),
    path(
        "registration-records/delete/",
        registration_views.registration_records_delete,
        name="registration_records_delete",
    ),
    path("linked-iot-hubs/", hub_views.linked_iot_hub_list, name="linked_iot_hub_list"),
    path("linked-iot-hubs/add/", hub_views.linked_iot_hub_add, name="linked_iot_hub_add"),
    path("linked-iot-hubs/<int:pk>/delete/", hub_views.linked_iot_hub_delete, name="linked_iot_hub_delete"),
    path("certificates/", certificate_views.certificate_list, name="certificate_list"),
    path("certificates/add/", certificate_views.certificate_add, name="certificate_add"),
    path("certificates/<int:pk>/", certificate_views.certificate_detail, name="certificate_detail"),
    path(
        "certificates/<int:pk>/verification-code/",
        certificate_views.certificate_generate_code,
        name="certificate_generate_code",
    ),
    path("certificates/<int:pk>/verify/", certificate_views.certificate_verify, name="certificate_verify"),
    path("certificates/<int:pk>/delete/", certificate_views.certificate_delete, name="certificate_delete"),
    path("enrollment-groups/add/", wizard.enrollment_group_add, name="enrollment_group_add"),
    path("enrollment-groups/add/<slug:tab>/", wizard.enrollment_group_add_new_tab, name="enrollment_group_add_new_tab"),
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
    path(
        "enrollment-groups/<str:enrollment_group_id>/details/<slug:tab>/",
        details.enrollment_group_detail,
        name="enrollment_group_detail_tab",
    ),
    path(
        "enrollment-groups/<str:enrollment_group_id>/keys/<slug:slot>/",
        details.enrollment_group_key,
        name="enrollment_group_key",
    ),
    path(
        "enrollment-groups/<str:enrollment_group_id>/webhook-url/",
        details.enrollment_group_webhook_url,
        name="enrollment_group_webhook_url",
    ),
    path(
        "enrollment-groups/<str:enrollment_group_id>/delete/",
        details.enrollment_group_delete,
        name="enrollment_group_delete",
    ),
    path("individual-enrollments/add/", wizard.individual_enrollment_add, name="individual_enrollment_add"),
    path(
        "individual-enrollments/add/<slug:tab>/",
        wizard.individual_enrollment_add_new_tab,
        name="individual_enrollment_add_new_tab",
    ),
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
    path(
        "individual-enrollments/<str:registration_id>/details/<slug:tab>/",
        details.individual_enrollment_detail,
        name="individual_enrollment_detail_tab",
    ),
    path(
        "individual-enrollments/<str:registration_id>/keys/<slug:slot>/",
        details.individual_enrollment_key,
        name="individual_enrollment_key",
    ),
    path(
        "individual-enrollments/<str:registration_id>/webhook-url/",
        details.individual_enrollment_webhook_url,
        name="individual_enrollment_webhook_url",
    ),
    path(
        "individual-enrollments/<str:registration_id>/delete/",
        details.individual_enrollment_delete,
        name="individual_enrollment_delete",
    ),
    path("shared-access-policies/", policy_views.shared_access_policy_list, name="shared_access_policy_list"),
    path("shared-access-policies/add/", policy_views.shared_access_policy_add, name="shared_access_policy_add"),
    path(
        "shared-access-policies/<int:pk>/connection-string/<slug:slot>/",
        policy_views.shared_access_policy_connection_string,
        name="shared_access_policy_connection_string",
    ),
    path(
        "shared-access-policies/<int:pk>/regenerate/",
        policy_views.shared_access_policy_regenerate,
        name="shared_access_policy_regenerate",
    ),
    path(
        "shared-access-policies/<int:pk>/delete/",
        policy_views.shared_access_policy_delete,
        name="shared_access_policy_delete",
    ),
]
