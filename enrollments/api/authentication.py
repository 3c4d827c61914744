"""SAS authentication and policy rights for the service API (dps-reference §3).

A request is authenticated by a service SAS token in `Authorization`: `skn` names a shared access
policy, the signature verifies with its primary or secondary key, the token has not expired, and
`sr` names this server (the host of DPS_PUBLIC_URL or the request's Host, case-insensitive, with or
without `http(s)://`), and `se` lies at most DPS_MAX_SAS_LIFETIME seconds ahead. A token naming no
policy is answered exactly as one with a wrong signature, so policy names cannot be probed.
Session sign-in is never accepted here. Each view maps every method it serves to the right it needs
(HEAD needs what GET needs); a policy without it gets 403, and a method the view does not map never
reaches a handler.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .. import sas
from ..models import SharedAccessPolicy, with_name

LACKS_RIGHT = "The shared access policy “{policy}” lacks the {right} right needed for this operation."


class SasAuthentication(authentication.BaseAuthentication):
    """Authenticate with a service SAS token; `request.auth` becomes the SharedAccessPolicy."""

    def authenticate(self, request):
        try:
            token = sas.parse_sas_token(request.headers.get("Authorization"))
            if not token.skn:
                raise sas.InvalidSasTokenError(sas.MISSING_FIELD.format(field="skn"))
            public_host, _ = sas.resource_host_and_path(settings.DPS_PUBLIC_URL)
            if not sas.resource_matches(
                token.sr, hosts=[public_host, request.get_host().lower()], path=request.path_info
            ):
                raise sas.InvalidSasTokenError(sas.WRONG_RESOURCE)
            policy = with_name(SharedAccessPolicy.objects.all(), "name", token.skn).first()
            keys = [policy.primary_key, policy.secondary_key] if policy is not None else []
            sas.verify_signature(token, keys=keys, max_lifetime=settings.DPS_MAX_SAS_LIFETIME)
        except sas.InvalidSasTokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return (None, policy)

    def authenticate_header(self, request) -> str:
        return "SharedAccessSignature"


def required_right(view, method: str) -> str | None:
    """The right `view.required_rights` (`{"GET": "EnrollmentRead", ...}`) names for `method`; HEAD
    is a GET without a body and needs GET's right. None: the view does not serve the method."""
    rights = getattr(view, "required_rights", {})
    method = method.upper()
    return rights.get(method) or (rights.get("GET") if method == "HEAD" else None)


class HasPolicyRight(permissions.BasePermission):
    """Allow the request when the token's policy has the right the view names for the method;
    a method the view names no right for is refused (fail closed)."""

    def has_permission(self, request, view) -> bool:
        policy = request.auth
        if not isinstance(policy, SharedAccessPolicy):
            raise exceptions.NotAuthenticated(sas.MISSING)
        right = required_right(view, request.method)
        if right is None:
            raise exceptions.MethodNotAllowed(request.method)
        if not policy.has_right(right):
            self.message = LACKS_RIGHT.format(policy=policy.name, right=right)
            return False
        return True


class SasAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of SasAuthentication."""

    target_class = "enrollments.api.authentication.SasAuthentication"
    name = "SharedAccessSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A service SAS token: `SharedAccessSignature sr=<host>&sig=<signature>&se=<expiry>&skn=<policy>` "
                "(make one from `manage.py connection_string` with Azure's SDK, or see enrollments/sas.py)."
            ),
        }
