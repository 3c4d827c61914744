"""Linked IoT hubs and shared access policies get an etag, so an edit made from an older version
is refused (the conditional update every other editable record has). Existing rows each get their
own value (AddField alone would give them all one)."""

import uuid

from django.db import migrations, models

import enrollments.models


def give_each_row_its_own_etag(apps, schema_editor):
    for name in ("LinkedIotHub", "SharedAccessPolicy"):
        model = apps.get_model("enrollments", name)
        for pk in model.objects.values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(etag=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [
        ("enrollments", "0012_registration_record_status_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="linkediothub",
            name="etag",
            field=models.CharField(default=enrollments.models.new_etag, max_length=64),
        ),
        migrations.AddField(
            model_name="sharedaccesspolicy",
            name="etag",
            field=models.CharField(default=enrollments.models.new_etag, max_length=64),
        ),
        migrations.RunPython(give_each_row_its_own_etag, migrations.RunPython.noop),
    ]
