"""What every portal form shares: a crispy helper without its own <form> tag, and service errors on fields."""

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError


def embedded_helper() -> FormHelper:
    """A crispy FormHelper for a form the template wraps in its own <form> (no tag, no CSRF input)."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


def add_service_errors(form: forms.Form, exc: ValidationError, *, skip_failed_fields: bool = False) -> None:
    """Attach a service ValidationError to `form`: keys naming a form field go next to it, the rest on top.

    `skip_failed_fields`: a field that already failed its own validation gets no second message
    (a form's `clean()` running the service's checks early).
    """
    errors = exc.error_dict if hasattr(exc, "error_dict") else {"__all__": exc.error_list}
    for field, field_messages in errors.items():
        target = field if field in form.fields else None
        if skip_failed_fields and target and target in form.errors:
            continue
        for message in ValidationError(field_messages).messages:
            form.add_error(target, message)
