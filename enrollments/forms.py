"""Portal forms. Labels are the UI contract's words (../shared/ui-contract.md), without a colon."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the contract's labels `Username` and `Password`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["password"].label = "Password"


__all__ = ["SignInForm", "forms"]
