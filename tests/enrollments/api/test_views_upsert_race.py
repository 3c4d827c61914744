"""Two concurrent PUTs without If-Match of one new ID: both answer 200 (the loser updates), on both databases."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from enrollments.api import views
from enrollments.models import IndividualEnrollment, SharedAccessPolicy
from tests.enrollments.services.test_enrollments_concurrency import sqlite_file  # noqa: F401 - fixture

from .conftest import token_for


@pytest.mark.django_db(transaction=True)
def test_two_upserts_of_a_new_id_at_once_both_succeed(request, monkeypatch):
    use = request.getfixturevalue("sqlite_file") if connection.vendor == "sqlite" else (lambda: None)
    found = threading.Barrier(2, timeout=3)
    real_find = views.ApiKind.find

    def find(self, record_id, **kw):
        result = real_find(self, record_id, **kw)
        try:
            found.wait()  # both threads have looked and found nothing (where the database lets them)
        except threading.BrokenBarrierError:
            pass
        return result

    monkeypatch.setattr(views.ApiKind, "find", find)
    statuses: list = [None, None]

    def put(index: int) -> None:
        try:
            use()
            policy = SharedAccessPolicy.objects.ensure_owner()
            body = {"registrationId": "race-1", "attestation": {"type": "symmetricKey"}}
            response = Client().put(
                "/enrollments/race-1?api-version=2021-10-01",
                data=json.dumps(body),
                content_type="application/json",
                headers={"Authorization": token_for(policy)},
            )
            statuses[index] = (response.status_code, response.content[:300])
        except BaseException as exc:  # noqa: BLE001 - recorded and checked
            statuses[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=put, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [s[0] if isinstance(s, tuple) else s for s in statuses] == [200, 200], statuses
    counts: list = []

    def count() -> None:
        use()
        try:
            counts.append(IndividualEnrollment.objects.filter(registration_id="race-1").count())
        finally:
            connections.close_all()

    t = threading.Thread(target=count)
    t.start()
    t.join()
    assert counts == [1]
