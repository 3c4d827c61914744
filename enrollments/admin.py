"""Django admin: every model, useful lists, no secrets in lists."""

from django.contrib import admin

from . import models


@admin.register(models.ProvisioningService)
class ProvisioningServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "id_scope", "allocation_policy", "created_date_time_utc"]
