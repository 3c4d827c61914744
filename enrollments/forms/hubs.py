"""Form of the Linked IoT hubs page (`Link a new IoT hub`). Rules live in services/hubs.py, whose
ValidationErrors the view attaches to these fields (same field names)."""

from django import forms
from django.core.exceptions import ValidationError

from .. import constants
from ..models import LinkedIotHub
from ..services.hubs import linked_iot_hub_check
from .base import add_service_errors, embedded_helper

PASTE_AGAIN = (
    "The connection string holds the hub's shared access key, a secret, so it is never sent back to the "
    "browser: paste it again."
)


class SecretTextInput(forms.TextInput):
    """A text input that never renders a value, like `PasswordInput(render_value=False)` but
    shown as text so a pasted connection string can be checked by eye before saving."""

    def format_value(self, value):
        return None


class LinkedIotHubForm(forms.Form):
    """Link an IoT hub (ui-contract.md § Linked IoT hubs).

    Secret handling: the connection string field never echoes what was typed. When the form comes
    back with errors, the user pastes the string again (the field says so); nothing of the key is
    kept in the page, the session or the draft. Keeping it server-side would save one paste but
    would put the secret somewhere it could outlive an abandoned form.
    """

    connection_string = forms.CharField(
        label="IoT hub connection string",
        widget=SecretTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="HostName=…;SharedAccessKeyName=…;SharedAccessKey=… from one of the IoT hub's shared access "
        "policies (it needs registry write and service connect permissions).",
    )
    location = forms.CharField(label="Location", required=False, max_length=64, help_text="e.g. westeurope")
    allocation_weight = forms.IntegerField(
        label="Allocation weight",
        initial=constants.ALLOCATION_WEIGHT_DEFAULT,
        min_value=constants.ALLOCATION_WEIGHT_MIN,
        max_value=constants.ALLOCATION_WEIGHT_MAX,
        help_text="1–1000: a hub with a higher weight gets proportionally more devices.",
    )
    apply_allocation_policy = forms.BooleanField(label="Apply allocation policy", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.helper = embedded_helper()
        if self.is_bound and self.data.get("connection_string"):
            # A bound form is only ever shown again because of errors: the field comes back empty.
            self.fields["connection_string"].help_text = PASTE_AGAIN

    def clean(self):
        """Run the service's checks too, so every problem shows at once (the save re-checks)."""
        data = super().clean()
        hub = LinkedIotHub(
            location=data.get("location") or "",
            allocation_weight=data.get("allocation_weight") or constants.ALLOCATION_WEIGHT_DEFAULT,
            apply_allocation_policy=bool(data.get("apply_allocation_policy")),
        )
        try:
            linked_iot_hub_check(hub=hub, connection_string=self.data.get("connection_string") or "")
        except ValidationError as exc:
            add_service_errors(self, exc, skip_failed_fields=True)
        return data
