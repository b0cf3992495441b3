from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from datasets.models import Split


class LoginForm(AuthenticationForm):
    """Django's login form; the template adds autofocus and labels."""


class SplitForm(forms.Form):
    split = forms.ChoiceField(choices=Split.choices)
