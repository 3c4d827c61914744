"""services/wizard_drafts.py: a draft is inserted once, then updated; storing a new draft removes the
expired ones (every user's) and only those; Create deletes the draft."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enrollments.models import WizardDraft
from enrollments.services.wizard_drafts import wizard_draft_delete, wizard_draft_store, wizard_drafts_remove_expired

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("drafts")


def _aged(owner, *, seconds: int) -> WizardDraft:
    draft = WizardDraft(kind=WizardDraft.KIND_GROUP, owner=owner, data={"age": seconds})
    wizard_draft_store(draft=draft)
    WizardDraft.objects.filter(pk=draft.pk).update(
        last_updated_date_time_utc=timezone.now() - timedelta(seconds=seconds)
    )
    return draft


def test_a_draft_is_inserted_once_then_its_values_and_time_updated(owner):
    draft = WizardDraft(kind=WizardDraft.KIND_INDIVIDUAL, owner=owner, data={"registration": {"x": ["1"]}})
    wizard_draft_store(draft=draft)
    first = WizardDraft.objects.get(pk=draft.pk).last_updated_date_time_utc
    draft.data = {"registration": {"x": ["2"]}}
    wizard_draft_store(draft=draft)
    stored = WizardDraft.objects.get(pk=draft.pk)
    assert WizardDraft.objects.count() == 1
    assert stored.data == {"registration": {"x": ["2"]}} and stored.last_updated_date_time_utc >= first


def test_storing_a_new_draft_removes_only_the_expired_ones(owner, settings):
    settings.DPS_WIZARD_DRAFT_LIFETIME = 3600
    fresh, old = _aged(owner, seconds=60), _aged(owner, seconds=7200)
    new = WizardDraft(kind=WizardDraft.KIND_GROUP, owner=owner)
    wizard_draft_store(draft=new)
    assert set(WizardDraft.objects.values_list("pk", flat=True)) == {fresh.pk, new.pk}
    assert old.pk not in {fresh.pk, new.pk}


def test_updating_a_draft_removes_nothing(owner, settings):
    settings.DPS_WIZARD_DRAFT_LIFETIME = 3600
    draft, old = _aged(owner, seconds=10), _aged(owner, seconds=7200)
    wizard_draft_store(draft=WizardDraft.objects.get(pk=draft.pk))
    assert WizardDraft.objects.filter(pk=old.pk).exists()
    assert wizard_drafts_remove_expired() == 1


def test_delete_removes_the_draft(owner):
    draft = _aged(owner, seconds=0)
    wizard_draft_delete(draft=draft)
    assert not WizardDraft.objects.exists()
