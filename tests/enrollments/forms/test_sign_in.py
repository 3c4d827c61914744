"""The sign-in form: the contract's labels."""

from enrollments.forms.sign_in import SignInForm


def test_sign_in_form_keeps_its_labels():
    form = SignInForm()
    assert form.fields["username"].label == "Username" and form.fields["password"].label == "Password"
