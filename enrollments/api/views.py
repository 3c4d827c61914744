"""Service API views: the DPS data-plane operations at Azure's root paths (dps-reference §1, §3;
wire details in environment.md §4–§5). Thin: bodies are checked by serializers, converted by
`mapping`, and written by enrollments.services.enrollments (the portal's one write path).

Every view: SAS authentication only (no session, so no CSRF), JSON in and out, `api-version`
required (any of `versions.SUPPORTED`, answers in that version's shape), errors in DPS's shape.
"""

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import kinds, selectors
from ..exceptions import EtagMismatchError
from ..models import RegistrationRecord
from ..services import bulk, quotas
from ..services import enrollments as services
from ..services.registrations import registration_record_delete
from . import errors, mapping, serializers, versions
from .authentication import HasPolicyRight, SasAuthentication, required_right
from .paging import paginate, paging_headers
from .parsers import DpsJsonParser

SUPPORTED_API_VERSIONS = versions.SUPPORTED
BAD_API_VERSION = versions.UNSUPPORTED
NOT_AN_OBJECT = "The request body must be a JSON object."
METHOD_NOT_ALLOWED = "Method {method} is not allowed here; this path accepts {allowed}."
NUL_CHARACTER = "{path}: text cannot contain the NUL character (\\u0000)."
BAD_QUERY = "query: only “*”, “SELECT *” or “SELECT * FROM {what}” is supported: it returns every record, page by page."
TOO_MANY = "{member}: at most {limit} items per bulk operation (Azure allows 10; this service allows {limit})."
NO_RECORD_TO_MATCH = (
    "Precondition failed: If-Match needs an existing record and “{id}” does not exist. Leave If-Match out to create it."
)
STALE = "Precondition failed: the If-Match etag does not match the record's current etag."
BULK_TIMED_OUT = (
    "The bulk operation did not finish within its time limit of {limit} s ({done} of {total} {member} checked), "
    "so none of it was applied: nothing was changed. Send fewer items per call, then retry."
)


NO_ROUTE = (
    "No service API operation at “{path}”. Paths have no trailing slash, and a registration ID or group "
    "name cannot contain “/” (not even as %2F): e.g. /enrollments/{{registrationId}}?api-version=2021-10-01."
)


@csrf_exempt
def no_route(request) -> JsonResponse:
    """Any path under /enrollments…, /enrollmentGroups… or /registrations… that names no operation:
    404 in DPS's error shape (never the HTML 404 page), whatever the method."""
    code = errors.NOT_FOUND
    body = errors.error_body(code, NO_ROUTE.format(path=request.path[:300]))
    return JsonResponse(body, status=404, headers={"x-ms-error-code": str(code)})


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """Always answer JSON, whatever `Accept` says (DPS clients send `application/json`)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


API_VERSION = OpenApiParameter(
    "api-version",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=True,
    enum=list(SUPPORTED_API_VERSIONS),
    description=(
        "Any published data-plane version; 2021-10-01 is what Azure's current SDKs send. Older versions "
        "answer without the members they did not have (see the README's Service API section)."
    ),
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The record's etag (quoted or not) or `*`; a stale etag gives 412.",
)
MAX_ITEM_COUNT = OpenApiParameter(
    "x-ms-max-item-count", OpenApiTypes.INT, OpenApiParameter.HEADER, description="Page size (1–1000)."
)
CONTINUATION = OpenApiParameter(
    "x-ms-continuation",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `x-ms-continuation` response header of the previous page.",
)
ID = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)
ERROR = OpenApiResponse(serializers.ProvisioningServiceErrorDetailsSerializer, description="DPS error")
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR}


class DpsApiView(APIView):
    """Base of the service API views: SAS auth, policy rights, JSON only, DPS errors, api-version.

    A method the view maps to no right (`required_rights`; HEAD follows GET) is refused with 405 and
    `Allow` before anything else is looked at, authentication included. Every answer carries
    `Cache-Control: no-store`: PUT and attestationmechanism answers hold symmetric keys, and no
    answer of this API may be kept by a proxy or a browser.
    """

    authentication_classes = [SasAuthentication]
    permission_classes = [HasPolicyRight]
    renderer_classes = [JSONRenderer]
    parser_classes = [DpsJsonParser]
    content_negotiation_class = JsonOnlyNegotiation
    throttle_classes: list = []
    required_rights: dict[str, str] = {}

    def get_exception_handler(self):
        return errors.exception_handler

    @property
    def allowed_methods(self) -> list[str]:
        """The methods this path serves (DRF's `Allow` header): those with a right, and HEAD with GET."""
        methods = list(self.required_rights)
        return methods + ["HEAD"] if "GET" in methods and "HEAD" not in methods else methods

    def initial(self, request, *args, **kwargs):
        if required_right(self, request.method) is None:
            raise errors.ApiError(
                405,
                errors.METHOD_NOT_ALLOWED,
                METHOD_NOT_ALLOWED.format(method=request.method[:20], allowed=", ".join(self.allowed_methods)),
            )
        given = request.query_params.get("api-version", "")
        if given not in SUPPORTED_API_VERSIONS:
            raise errors.ApiError(400, errors.INVALID_API_VERSION, BAD_API_VERSION.format(given=given[:40]))
        request.dps_api_version = given
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


def _reject_nul(value: Any, path: str) -> None:
    # PostgreSQL cannot store NUL in text or JSON; refuse it up front rather than fail at write time.
    if isinstance(value, str):
        if "\x00" in value:
            raise errors.ApiError(400, errors.INVALID_BODY, NUL_CHARACTER.format(path=path or "body"))
    elif isinstance(value, dict):
        for key, child in value.items():
            _reject_nul(key, path)
            _reject_nul(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _reject_nul(child, f"{path}[{index}]")


def _body_object(request) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise errors.ApiError(400, errors.INVALID_BODY, NOT_AN_OBJECT)
    _reject_nul(data, "")
    return data


def _flatten(detail: Any, path: str = "") -> list[str]:
    if isinstance(detail, dict):
        out = []
        for key, child in detail.items():
            if isinstance(key, int):  # a list member (ListField errors are keyed by index)
                out.extend(_flatten(child, f"{path}[{key}]"))
                continue
            key = "" if key == "non_field_errors" else str(key)
            out.extend(_flatten(child, f"{path}.{key}" if path and key else path or key))
        return out
    if isinstance(detail, list):
        if all(not isinstance(d, dict | list) for d in detail):
            return [_member_message(path, " ".join(str(d) for d in detail))]
        out = []
        for index, child in enumerate(detail):
            out.extend(_flatten(child, f"{path}[{index}]"))
        return out
    return [_member_message(path, str(detail))]


def _member_message(path: str, text: str) -> str:
    """`path: text`; a type error (`must be …`) reads as one sentence: `initialTwin.tags must be …`."""
    if not path:
        return text
    return f"{path} {text}" if text.startswith("must ") else f"{path}: {text}"


def _validated(serializer_class, data: dict) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise errors.ApiError(400, errors.INVALID_BODY, "; ".join(_flatten(serializer.errors)))
    return serializer.validated_data


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _validator(serializer_class) -> Callable[[Any], dict]:
    """`_validated` for many bodies: one serializer instance validates each (what `is_valid` runs),
    so its fields are built once per call rather than once per bulk item."""
    serializer = serializer_class()

    def validate(data: Any) -> dict:
        try:
            return serializer.run_validation(data)
        except DrfValidationError as exc:
            raise errors.ApiError(400, errors.INVALID_BODY, "; ".join(_flatten(exc.detail))) from exc

    return validate


def _etag_header(etag: str) -> dict[str, str]:
    return {"ETag": f'"{etag}"'}


@dataclass(frozen=True)
class ApiKind:
    """A record type (kinds.Kind) with what only the API adds: its serializer and its 404."""

    kind: kinds.Kind
    serializer: type
    not_found_code: int
    not_found_message: str

    model = property(lambda self: self.kind.model)
    is_group = property(lambda self: self.kind.is_group)
    id_field = property(lambda self: self.kind.id_field)
    id_member = property(lambda self: self.kind.id_member)
    item_type = property(lambda self: self.kind.item_type)
    collection = property(lambda self: self.kind.collection)

    def queryset(self):
        return selectors.enrollments_with_relations(self.model)

    def find(self, record_id: str, *, related: bool = True):
        """The record named `record_id` ignoring case, or None (an index lookup at any table size;
        inside a bulk call's batch, the record it read for every item at once)."""
        read, obj = bulk.find(self.model, record_id)
        if read:
            return obj
        return selectors.enrollment_by_name(self.model, record_id, related=related)

    def get(self, record_id: str):
        obj = self.find(record_id)
        if obj is None:
            raise errors.ApiError(404, self.not_found_code, self.not_found_message.format(id=record_id))
        return obj

    def create(self, data: dict, record_id: str):
        if self.is_group:
            return services.enrollment_group_create(**mapping.group_create_arguments(data, record_id))
        return services.individual_enrollment_create(**mapping.individual_create_arguments(data, record_id))

    def invalid(self, exc: DjangoValidationError) -> errors.ApiError:
        return errors.ApiError(400, errors.INVALID_BODY, mapping.validation_message(exc, group=self.is_group))


INDIVIDUAL = ApiKind(
    kind=kinds.INDIVIDUAL,
    serializer=serializers.IndividualEnrollmentSerializer,
    not_found_code=errors.ENROLLMENT_NOT_FOUND,
    not_found_message="No individual enrollment with registration ID “{id}”.",
)
GROUP = ApiKind(
    kind=kinds.GROUP,
    serializer=serializers.EnrollmentGroupSerializer,
    not_found_code=errors.ENROLLMENT_GROUP_NOT_FOUND,
    not_found_message="No enrollment group named “{id}”.",
)


def _wire(obj, request, *, include_keys: bool = False) -> dict:
    """An enrollment answer in the shape of the request's api-version."""
    return versions.shape_answer(mapping.enrollment_to_wire(obj, include_keys=include_keys), request.dps_api_version)


def _check_version_members(data: dict, request) -> None:
    problem = versions.request_problem(data, request.dps_api_version)
    if problem:
        raise errors.ApiError(400, errors.INVALID_BODY, problem)


def _upsert(
    kind: ApiKind,
    data: dict,
    record_id: str,
    if_match: str | None,
    *,
    must_exist: bool = False,
    must_be_new: bool = False,
    fetch: bool = True,
) -> tuple[Any, bool]:
    """Create or replace one enrollment atomically (PUT and bulk create/update).

    Returns (the record, whether it was created); with `fetch` the record is read again with its
    target hubs and certificates (for the response), else it is the written instance.
    An upsert of an absent ID takes the kind's create lock (services.quotas.lock) and looks again:
    of two concurrent upserts of one new ID the second sees the first's row and updates it (200 on
    both databases, never "already exists"). Inside a bulk call's batch (services.bulk) a create
    writes nothing here (the batch writes it): no savepoint but the update's own.
    Raises ApiError: 400 invalid, 404 when `must_exist` and absent, 409 when `must_be_new` and present,
    412 stale etag.
    """
    created = False
    batched = bulk.active(kind.model)
    try:
        with contextlib.nullcontext() if batched else transaction.atomic():
            obj = kind.find(record_id, related=False)
            if obj is None and not must_exist and not quotas.holds(kind.model):
                quotas.lock(kind.model)
                obj = kind.find(record_id, related=False)
            if obj is not None and must_be_new:
                raise errors.ApiError(409, errors.ENROLLMENT_EXISTS, errors.ENROLLMENT_EXISTS_MESSAGE)
            if obj is None:
                if must_exist:
                    raise errors.ApiError(404, kind.not_found_code, kind.not_found_message.format(id=record_id))
                if (if_match or "").strip():
                    # RFC 9110 §13.1.1: If-Match (even `*`) is false when there is no current record.
                    raise errors.ApiError(412, errors.PRECONDITION_FAILED, NO_RECORD_TO_MATCH.format(id=record_id))
                obj = kind.create(data, record_id)
                created = True
            else:
                requested_type = (data.get("attestation") or {}).get("type")
                if requested_type and requested_type != obj.attestation_type:
                    # IDs are case-insensitive: `Device-001` names the existing `device-001`.
                    existing = getattr(obj, kind.id_field)
                    raise errors.ApiError(
                        409,
                        errors.ENROLLMENT_EXISTS,
                        f"An enrollment with the ID “{existing}” already exists (IDs are not case-sensitive) and "
                        f"uses {obj.get_attestation_type_display()} attestation; the attestation type of an "
                        "enrollment cannot change. Delete it first, or use another ID.",
                    )
                changes, x509 = mapping.update_arguments(obj, data)
                # enrollment_update is atomic itself; with an X.509 replacement after it, both share one.
                with transaction.atomic() if batched and x509 else contextlib.nullcontext():
                    obj = services.enrollment_update(enrollment=obj, expected_etag=if_match, changes=changes)
                    if x509:
                        services.enrollment_x509_replace(enrollment=obj, **x509)
    except DjangoValidationError as exc:
        raise kind.invalid(exc) from exc
    except EtagMismatchError as exc:
        raise errors.ApiError(412, errors.PRECONDITION_FAILED, STALE) from exc
    return (kind.queryset().get(pk=obj.pk) if fetch else obj), created


class EnrollmentDetailView(DpsApiView):
    kind: ApiKind = INDIVIDUAL
    required_rights = {"GET": "EnrollmentRead", "PUT": "EnrollmentWrite", "DELETE": "EnrollmentWrite"}

    def get(self, request, id: str):
        obj = self.kind.get(id)
        return Response(_wire(obj, request), headers=_etag_header(obj.etag))

    def put(self, request, id: str):
        body = _body_object(request)
        _check_version_members(body, request)
        data = _validated(self.kind.serializer, body)
        obj, _created = _upsert(self.kind, data, id, request.headers.get("If-Match"))
        return Response(_wire(obj, request, include_keys=True), headers=_etag_header(obj.etag))

    def delete(self, request, id: str):
        obj = self.kind.get(id)
        try:
            services.enrollment_delete(enrollment=obj, expected_etag=request.headers.get("If-Match"))
        except EtagMismatchError as exc:
            raise errors.ApiError(412, errors.PRECONDITION_FAILED, STALE) from exc
        return Response(status=204)


class AttestationMechanismView(DpsApiView):
    kind: ApiKind = INDIVIDUAL
    required_rights = {"POST": "EnrollmentRead"}

    def post(self, request, id: str):
        obj = self.kind.get(id)
        return Response(mapping.attestation_to_wire(obj, include_keys=True), headers=_etag_header(obj.etag))


def _check_query(request, what: str) -> None:
    spec = _validated(serializers.QuerySpecificationSerializer, _body_object(request))
    words = " ".join(spec["query"].split()).lower()
    if words not in ("*", "select *", f"select * from {what.lower()}"):
        raise errors.ApiError(400, errors.INVALID_BODY, BAD_QUERY.format(what=what))


class EnrollmentQueryView(DpsApiView):
    kind: ApiKind = INDIVIDUAL
    required_rights = {"POST": "EnrollmentRead"}

    def post(self, request):
        _check_query(request, self.kind.collection)
        page = paginate(self.kind.queryset(), request, key_field=self.kind.id_field, scope=self.kind.collection)
        answers = [
            versions.shape_answer(body, request.dps_api_version) for body in mapping.enrollments_to_wire(page.items)
        ]
        return Response(answers, headers=paging_headers(page, self.kind.item_type))


class BulkOperationView(DpsApiView):
    kind: ApiKind = INDIVIDUAL
    required_rights = {"POST": "EnrollmentWrite"}

    def post(self, request):
        data = _body_object(request)
        member = self.kind.collection
        mode = data.get("mode")
        items = data.get(member)
        problems = []
        if mode not in serializers.BULK_MODES:
            problems.append(f"mode: must be one of {', '.join(serializers.BULK_MODES)}.")
        if not isinstance(items, list):
            problems.append(f"{member}: a list of records is required.")
        elif len(items) > settings.DPS_MAX_BULK_ITEMS:
            raise errors.ApiError(
                400, errors.TOO_MANY_BULK_ITEMS, TOO_MANY.format(member=member, limit=settings.DPS_MAX_BULK_ITEMS)
            )
        if problems:
            raise errors.ApiError(400, errors.INVALID_BODY, " ".join(problems))
        kind = self.kind
        ids = [item.get(kind.id_member) if isinstance(item, dict) else None for item in items]
        failures: dict[int, dict] = {}

        def fail(index: int, exc: errors.ApiError) -> None:
            failures[index] = {
                kind.id_member: str(ids[index] or ""),
                "errorCode": exc.error_code,
                "errorStatus": exc.message,
            }

        deadline = time.monotonic() + settings.DPS_BULK_TIME_LIMIT
        validate = _validator(kind.serializer)
        # One transaction for the whole call: the answer lists exactly what was committed. A call cut
        # short (time limit, a killed worker, a lost database) commits nothing. Items are applied by
        # the services inside one batch (services.bulk: the call's records read at once, creates and
        # deletes written together), or one by one in a savepoint each when the batch cannot apply.
        hub_names = [
            name
            for item in items
            if isinstance(item, dict)
            for name in [*_list(item.get("iotHubs")), item.get("iotHubHostName")]
        ]
        with (
            transaction.atomic(),
            quotas.bulk_allowance(kind.model),
            bulk.batch(kind.model, ids, hub_names) as batch,
        ):
            deletes: list[tuple[int, str, str | None]] | None = [] if batch is not None else None
            for index, item in enumerate(items):
                self._check_time(deadline, index, len(items))
                if batch is not None:
                    batch.index = index
                try:
                    self._one(mode, item, index, validate, deletes)
                except errors.ApiError as exc:
                    fail(index, exc)
            if deletes:
                for index, exc in bulk.delete_many(kind.model, deletes).items():
                    fail(index, self._delete_error(exc, ids[index]))
            for index, exc in bulk.flush().items():
                fail(index, kind.invalid(exc))
            self._check_time(deadline, len(items), len(items))
        return Response({"isSuccessful": not failures, "errors": [failures[index] for index in sorted(failures)]})

    def _check_time(self, deadline: float, done: int, total: int) -> None:
        """Past the call's time limit: raise the 503 that rolls the whole call back."""
        if time.monotonic() > deadline:
            transaction.set_rollback(True)
            raise errors.ApiError(
                503,
                errors.BULK_TIMED_OUT,
                BULK_TIMED_OUT.format(
                    limit=settings.DPS_BULK_TIME_LIMIT, done=done, total=total, member=self.kind.collection
                ),
                headers={"Retry-After": str(errors.RETRY_AFTER_SECONDS)},
            )

    def _delete_error(self, exc: Exception, record_id: str) -> errors.ApiError:
        if isinstance(exc, EtagMismatchError):
            return errors.ApiError(412, errors.PRECONDITION_FAILED, STALE)
        kind = self.kind
        return errors.ApiError(404, kind.not_found_code, kind.not_found_message.format(id=record_id))

    def _one(
        self,
        mode: str,
        item: Any,
        index: int,
        validate: Callable[[Any], dict],
        deletes: list[tuple[int, str, str | None]] | None,
    ) -> None:
        """Apply one bulk item (a delete inside a batch is only collected into `deletes`, for
        services.bulk.delete_many); raise ApiError to report it as failed."""
        kind = self.kind
        if not isinstance(item, dict):
            raise errors.ApiError(400, errors.INVALID_BODY, f"{kind.collection}[{index}]: {NOT_AN_OBJECT}")
        record_id = item.get(kind.id_member)
        if not isinstance(record_id, str) or not record_id:
            raise errors.ApiError(400, errors.INVALID_BODY, f"{kind.id_member}: This field is required.")
        if mode == "delete":
            # A delete reads only the ID and the etag (the rest of the item is not validated).
            etag = item.get("etag")
            if etag is not None and not isinstance(etag, str):
                raise errors.ApiError(400, errors.INVALID_BODY, f"etag {serializers.must_be('a JSON string', etag)}")
            if deletes is not None:
                deletes.append((index, record_id, etag or None))
                return
            obj = kind.find(record_id, related=False)
            if obj is None:
                raise self._delete_error(bulk.NotFound(record_id), record_id)
            try:
                services.enrollment_delete(enrollment=obj, expected_etag=etag or None)
            except EtagMismatchError as exc:
                raise self._delete_error(exc, record_id) from exc
            return
        _reject_nul(item, "")
        _check_version_members(item, self.request)
        data = validate(item)
        if mode == "create":
            obj, created = _upsert(kind, data, record_id, None, must_be_new=True, fetch=False)
        elif mode == "update":
            obj, created = _upsert(kind, data, record_id, None, fetch=False)
        else:  # updateIfMatchETag
            obj, created = _upsert(kind, data, record_id, item.get("etag") or None, must_exist=True, fetch=False)
        if created:
            quotas.created(kind.model, obj.attestation_type)


# --- registration states -------------------------------------------------------------------------


def _registration(record_id: str) -> RegistrationRecord:
    record = selectors.registration_record_for_registration_id(record_id)
    if record is None:
        raise errors.ApiError(
            404, errors.REGISTRATION_NOT_FOUND, f"No registration record with registration ID “{record_id}”."
        )
    return record


@extend_schema_view(
    get=extend_schema(
        operation_id="DeviceRegistrationState_Get",
        summary="Get a device's registration state",
        parameters=[API_VERSION, ID],
        responses={200: serializers.DeviceRegistrationStateSerializer, 404: ERROR, **ERRORS},
    ),
    delete=extend_schema(
        operation_id="DeviceRegistrationState_Delete",
        summary="Delete a device's registration state",
        parameters=[API_VERSION, ID, IF_MATCH],
        responses={204: None, 404: ERROR, 412: ERROR, **ERRORS},
    ),
)
class RegistrationStateView(DpsApiView):
    required_rights = {"GET": "RegistrationStatusRead", "DELETE": "RegistrationStatusWrite"}

    def get(self, request, id: str):
        record = _registration(id)
        return Response(mapping.registration_state_to_wire(record), headers=_etag_header(record.etag))

    def delete(self, request, id: str):
        record = _registration(id)
        try:
            registration_record_delete(record=record, expected_etag=request.headers.get("If-Match"))
        except EtagMismatchError as exc:
            raise errors.ApiError(412, errors.PRECONDITION_FAILED, STALE) from exc
        return Response(status=204)


@extend_schema_view(
    post=extend_schema(
        operation_id="DeviceRegistrationState_Query",
        summary="Registration states of an enrollment group's devices (no body)",
        parameters=[API_VERSION, ID, MAX_ITEM_COUNT, CONTINUATION],
        request=None,
        responses={200: serializers.DeviceRegistrationStateSerializer(many=True), **ERRORS},
    ),
)
class RegistrationStateQueryView(DpsApiView):
    required_rights = {"POST": "RegistrationStatusRead"}

    def post(self, request, id: str):
        queryset = selectors.registration_states_of_group(id)
        page = paginate(queryset, request, key_field="registration_id", scope=f"registrations:{id.lower()}")
        return Response(
            [mapping.registration_state_to_wire(r) for r in page.items],
            headers=paging_headers(page, "deviceRegistration"),
        )


# --- the concrete views, one per kind, with their OpenAPI descriptions ----------------------------


def _detail_schema(kind: ApiKind, prefix: str, noun: str):
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"{prefix}_Get",
            summary=f"Get {noun} (symmetric keys left out)",
            parameters=[API_VERSION, ID],
            responses={200: kind.serializer, 404: ERROR, **ERRORS},
        ),
        put=extend_schema(
            operation_id=f"{prefix}_CreateOrUpdate",
            summary=f"Create or replace {noun} (answers with the keys)",
            parameters=[API_VERSION, ID, IF_MATCH],
            request=kind.serializer,
            responses={200: kind.serializer, 412: ERROR, **ERRORS},
        ),
        delete=extend_schema(
            operation_id=f"{prefix}_Delete",
            summary=f"Delete {noun}",
            parameters=[API_VERSION, ID, IF_MATCH],
            responses={204: None, 404: ERROR, 412: ERROR, **ERRORS},
        ),
    )


def _attestation_schema(prefix: str, noun: str):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"{prefix}_GetAttestationMechanism",
            summary=f"The attestation mechanism of {noun}, with its keys (no body)",
            parameters=[API_VERSION, ID],
            request=None,
            responses={200: serializers.AttestationMechanismSerializer, 404: ERROR, **ERRORS},
        )
    )


def _query_schema(kind: ApiKind, prefix: str):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"{prefix}_Query",
            summary="Every record, page by page (x-ms-max-item-count, x-ms-continuation)",
            parameters=[API_VERSION, MAX_ITEM_COUNT, CONTINUATION],
            request=serializers.QuerySpecificationSerializer,
            responses={200: kind.serializer(many=True), **ERRORS},
        )
    )


def _bulk_schema(prefix: str, request, response):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"{prefix}_RunBulkOperation",
            summary="Create, update, updateIfMatchETag or delete up to DPS_MAX_BULK_ITEMS (1000) records",
            parameters=[API_VERSION],
            request=request,
            responses={200: response, **ERRORS},
        )
    )


@_detail_schema(INDIVIDUAL, "IndividualEnrollment", "an individual enrollment")
class IndividualEnrollmentView(EnrollmentDetailView):
    kind = INDIVIDUAL


@_detail_schema(GROUP, "EnrollmentGroup", "an enrollment group")
class EnrollmentGroupView(EnrollmentDetailView):
    kind = GROUP


@_attestation_schema("IndividualEnrollment", "an individual enrollment")
class IndividualEnrollmentAttestationView(AttestationMechanismView):
    kind = INDIVIDUAL


@_attestation_schema("EnrollmentGroup", "an enrollment group")
class EnrollmentGroupAttestationView(AttestationMechanismView):
    kind = GROUP


@_query_schema(INDIVIDUAL, "IndividualEnrollment")
class IndividualEnrollmentQueryView(EnrollmentQueryView):
    kind = INDIVIDUAL


@_query_schema(GROUP, "EnrollmentGroup")
class EnrollmentGroupQueryView(EnrollmentQueryView):
    kind = GROUP


@_bulk_schema(
    "IndividualEnrollment",
    serializers.BulkEnrollmentOperationSerializer,
    serializers.BulkEnrollmentOperationResultSerializer,
)
class IndividualEnrollmentBulkView(BulkOperationView):
    kind = INDIVIDUAL


@_bulk_schema(
    "EnrollmentGroup",
    serializers.BulkEnrollmentGroupOperationSerializer,
    serializers.BulkEnrollmentGroupOperationResultSerializer,
)
class EnrollmentGroupBulkView(BulkOperationView):
    kind = GROUP
