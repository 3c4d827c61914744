"""Fixtures for the service API tests: the owner policy, SAS tokens, a client that signs requests."""

import json

import pytest

from enrollments import sas
from enrollments.models import SharedAccessPolicy

API_VERSION = "2021-10-01"


@pytest.fixture
def owner(db) -> SharedAccessPolicy:
    """`provisioningserviceowner`, created on first use (the database is flushed between tests)."""
    return SharedAccessPolicy.objects.ensure_owner()


def token_for(policy: SharedAccessPolicy, *, resource: str = "testserver", key: str | None = None, **kw) -> str:
    return sas.generate_sas_token(
        resource_uri=resource, key=key or policy.primary_key, policy_name=kw.pop("name", policy.name), **kw
    )


class Api:
    """The Django test client with a valid SAS token and `?api-version=` on every request."""

    def __init__(self, client, policy: SharedAccessPolicy):
        self.client = client
        self.policy = policy

    def call(self, method: str, path: str, body=None, *, version: str = API_VERSION, headers=None, token=None):
        url = f"{path}?api-version={version}" if version is not None else path
        all_headers = {"Authorization": token if token is not None else token_for(self.policy), **(headers or {})}
        kwargs = {"headers": all_headers}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, body, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(client, owner) -> Api:
    return Api(client, owner)
