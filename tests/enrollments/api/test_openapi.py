"""Property-based checks of the service API from its own OpenAPI document (schemathesis), signed
with a valid SAS token: no generated request may cause a 5xx, and some must succeed."""

import json
import re

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from dps_portal.wsgi import application
from tests.hypothesis_profiles import scaled_examples

from .conftest import token_for

pytestmark = pytest.mark.django_db

SCHEMA_PATH = "/api/schema/?format=json"


@pytest.fixture
def keep_db_connection():
    """Calling the WSGI app directly (not through Django's test client) would close the test's
    database connection at the end of each request; detach that, as the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_openapi_document_is_served_publicly_and_lists_every_operation(client):
    response = client.get(SCHEMA_PATH)
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    for name in ("IndividualEnrollment", "EnrollmentGroup"):
        for action in ("Get", "CreateOrUpdate", "Delete", "Query", "GetAttestationMechanism", "RunBulkOperation"):
            assert f"{name}_{action}" in operations
    assert {"DeviceRegistrationState_Get", "DeviceRegistrationState_Delete", "DeviceRegistrationState_Query"} <= (
        operations
    )
    assert "/enrollments/{id}" in schema["paths"]


def test_spectacular_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_browsable_docs_work_offline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # The sidecar serves Swagger UI's files locally: no script or stylesheet from another host.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)


@pytest.mark.parametrize("mode, examples", [(GenerationMode.POSITIVE, 120), (GenerationMode.NEGATIVE, 60)])
def test_generated_requests_never_cause_a_server_error(owner, keep_db_connection, mode, examples):
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application)
    # schemathesis's WSGI client sends Host: localhost; the token names that host.
    token = token_for(owner, resource="localhost")
    statuses: list[int] = []

    @given(case=schema.as_strategy(generation_mode=mode, headers={"Authorization": token}))
    @settings(
        max_examples=scaled_examples(examples),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.headers = {**(case.headers or {}), "Authorization": token}
        response = case.call()
        statuses.append(response.status_code)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}"

    run()
    assert statuses
    if mode == GenerationMode.POSITIVE:
        assert any(200 <= s < 300 for s in statuses), sorted(set(statuses))
