"""Writes: every business action that touches the ORM (HackSoft services).

Functions are keyword-only, typed, atomic, and call `full_clean()` before `save()`, so the
portal, the admin and the REST API share one create/update path and one set of rules.
Validation failures raise django.core.exceptions.ValidationError with a field -> messages dict.
"""
