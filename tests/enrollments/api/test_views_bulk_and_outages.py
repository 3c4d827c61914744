"""Bulk operations cut short apply nothing; a database that cannot be reached answers DPS's 503."""

import pytest
from django.db import OperationalError

from enrollments.api import views
from enrollments.models import IndividualEnrollment


def _items(n: int) -> list[dict]:
    return [{"registrationId": f"bulk-{i}", "attestation": {"type": "symmetricKey"}} for i in range(n)]


def test_a_bulk_call_past_its_time_limit_applies_nothing_and_says_so(api, settings, monkeypatch):
    settings.DPS_BULK_TIME_LIMIT = 5
    clock = iter([0.0, 1.0, 2.0, 9.0, 10.0, 11.0])
    monkeypatch.setattr(views.time, "monotonic", lambda: next(clock))
    response = api.post("/enrollments", {"mode": "create", "enrollments": _items(4)})
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["errorCode"] == 503001 and "nothing was changed" in body["message"]
    assert "2 of 4 enrollments" in body["message"]
    assert response["Retry-After"].isdigit()
    assert IndividualEnrollment.objects.count() == 0


def test_a_bulk_call_that_fails_mid_way_commits_none_of_its_items(api, monkeypatch):
    real = views._upsert
    calls = [0]

    def flaky(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "_upsert", flaky)
    response = api.post("/enrollments", {"mode": "create", "enrollments": _items(4)})
    assert response.status_code == 503
    assert response.json()["errorCode"] == 503000
    assert "isSuccessful" not in response.json()
    assert IndividualEnrollment.objects.count() == 0


def test_a_bulk_call_within_its_time_limit_reports_each_item(api):
    items = _items(3) + [{"registrationId": "bulk-1", "attestation": {"type": "symmetricKey"}}]
    response = api.post("/enrollments", {"mode": "create", "enrollments": items})
    assert response.status_code == 200
    assert response.json()["isSuccessful"] is False
    assert [e["registrationId"] for e in response.json()["errors"]] == ["bulk-1"]
    assert IndividualEnrollment.objects.count() == 3


@pytest.mark.parametrize("error", ["could not connect to server: Connection refused", "database is locked"])
def test_an_unreachable_database_answers_503_with_retry_after(api, monkeypatch, error):
    def down(*args, **kwargs):
        raise OperationalError(error)

    monkeypatch.setattr(views.ApiKind, "get", down)
    response = api.get("/enrollments/dev-1")
    assert response.status_code == 503
    assert response["Retry-After"] == "10" and response["x-ms-error-code"] == "503000"
    body = response.json()
    assert body["errorCode"] == 503000 and "database" in body["message"] and "retry" in body["message"]
