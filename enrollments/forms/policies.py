"""Form of the Shared access policies page (`Add`). Rules live in services/policies.py."""

from django import forms

from ..models import SharedAccessPolicy
from ..services.policies import check_policy_name
from .base import embedded_helper


class SharedAccessPolicyForm(forms.Form):
    """A new shared access policy: its name and the DPS permissions it grants."""

    name = forms.CharField(
        label="Policy name",
        validators=[check_policy_name],
        help_text="Letters, digits, hyphens, periods and underscores. Clients name it in SharedAccessKeyName.",
    )
    rights = forms.MultipleChoiceField(
        label="Permissions",
        choices=[(right, right) for right in SharedAccessPolicy.RIGHTS],
        widget=forms.CheckboxSelectMultiple,
        help_text="EnrollmentRead/Write: enrollments and groups; RegistrationStatusRead/Write: registration "
        "records (Write deletes them); ServiceConfig: service settings.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.helper = embedded_helper()
