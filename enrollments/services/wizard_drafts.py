"""Writes of the add-enrollment wizards' drafts (models.WizardDraft): stored on a wizard's first
post, updated on each later one, deleted when the enrollment is created or the draft expires."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import WizardDraft


def wizard_drafts_remove_expired() -> int:
    """Delete the drafts untouched for more than DPS_WIZARD_DRAFT_LIFETIME seconds (every user's);
    run whenever a draft is stored for the first time. Returns how many were deleted."""
    cutoff = timezone.now() - timedelta(seconds=settings.DPS_WIZARD_DRAFT_LIFETIME)
    return WizardDraft.objects.filter(last_updated_date_time_utc__lt=cutoff).delete()[0]


def wizard_draft_store(*, draft: WizardDraft) -> None:
    """Store `draft` with the time of now: inserted the first time (after the expired drafts are
    removed), afterwards its values and time updated."""
    draft.last_updated_date_time_utc = timezone.now()
    if draft._state.adding:
        wizard_drafts_remove_expired()
        draft.save(force_insert=True)
        return
    draft.save(update_fields=["data", "last_updated_date_time_utc"])


def wizard_draft_delete(*, draft: WizardDraft) -> None:
    """Delete a draft (its enrollment was created)."""
    draft.delete()
