"""`JsonTextField`: the wizard draft stored as JSON text, so any typed text (a NUL, U+0000, which
PostgreSQL's jsonb refuses) is kept exactly. Runs on SQLite and on PostgreSQL (DATABASE_URL).

What the wizard and the details pages do with a typed NUL is tested with their views.
"""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from enrollments.models import WizardDraft

TYPED = 'a\x00b \x01 é ✓ 😀 \\u0000 "q" </textarea>'


@pytest.mark.django_db
def test_a_draft_keeps_any_text_exactly(django_user_model):
    owner = django_user_model.objects.create_user("u")
    data = {"values": {"registration": {"enrollment_group_id": [TYPED]}}, "n": [1, 2.5, True, None]}
    draft = WizardDraft.objects.create(kind="group", owner=owner, data=data)
    assert WizardDraft.objects.get(pk=draft.pk).data == data
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM enrollments_wizarddraft")
        stored = cursor.fetchone()[0]
    assert "\x00" not in stored and stored.isascii() and json.loads(stored) == data


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_drafts(django_user_model):
    """0008 turns the jsonb/JSON column into JSON text: rows written before it read back equal."""
    executor = MigrationExecutor(connection)
    before = [("enrollments", "0007_legacy_host_name_any_case")]
    after = [("enrollments", "0008_wizard_draft_json_text")]
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        owner = django_user_model.objects.create_user("u")
        data = {"values": {"registration": {"enrollment_group_id": ["grüße ✓"]}}, "touched": [], "n": [1, None]}
        old_draft = old_apps.get_model("enrollments", "WizardDraft").objects.create(
            kind="group", owner_id=owner.pk, data=data
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new_apps = executor.loader.project_state(after).apps
        assert new_apps.get_model("enrollments", "WizardDraft").objects.get(pk=old_draft.pk).data == data
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("enrollments"))
    assert WizardDraft.objects.get().data == data
