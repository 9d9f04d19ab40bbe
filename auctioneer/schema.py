from django.conf import settings
from django_filters import filters
from drf_yasg import openapi
from drf_yasg.generators import EndpointEnumerator, OpenAPISchemaGenerator
from drf_yasg.inspectors import FieldInspector, NotHandled, ReferencingSerializerInspector
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from auctioneer.http_limits import REQUEST_LINE_MAX_BYTES
from auctioneer.policies import WritesNeedWriteScope
from auctioneer.problems import PROBLEM_CONTENT_TYPE

# Every API parses JSON bodies only (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]); anything else is 415.
NOT_JSON_TEXT = (
    "The body is not JSON in UTF-8 (Content-Type: application/json, with no charset, charset=utf-8 or its subset "
    "charset=us-ascii)."
)

# An operation's `security`: a token required; none (the view authenticates nobody, so any
# Authorization header is ignored); or optional (anonymous reads, but a token that is sent must
# be valid, else 401: authorization.authentication).
BEARER: list[dict[str, list[str]]] = [{"Bearer": []}]
PUBLIC: list[dict[str, list[str]]] = []
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, {"Bearer": []}]
REFUSED_BEARER_TEXT = "The token sent is invalid, expired or revoked; send none to read anonymously."


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the body of every error."""

    class Meta:
        ref_name = "Problem"

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    minimum_bid = serializers.CharField(required=False, help_text="On a 409 for a bid below the minimum.")
    auction_status = serializers.CharField(
        required=False, help_text="On a 409 for a bid on an auction that is not open: its status now."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # `errors` is a Serializer property, so the field is added here rather than declared.
        fields = super().get_fields()
        fields["errors"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Validation errors by field (400).",
        )
        return fields


def problem_response(description: str) -> openapi.Response:
    """A documented error answer: `description`, with a Problem body."""
    return openapi.Response(description, ProblemSerializer)


class _Enumerator(EndpointEnumerator):
    def get_path_from_regex(self, path_regex: str) -> str:
        # `api_path` routes end in "/?" (the slash is optional); document the canonical,
        # slash-less path.
        return str(super().get_path_from_regex(path_regex.replace("/?$", "$")))


_NO_NUL_PATTERN = r"^[^\x00]*$"


def _describe_filter(parameter: dict, spec: filters.Filter | None) -> None:
    """A django-filter query parameter with its real type (drf-yasg calls them all strings):
    ids are integers, prices decimals, times date-times, choices enums."""
    if spec is None:
        return
    parameter["allowEmptyValue"] = True  # `?min_price=` means "no filter" to django-filter
    if isinstance(spec, filters.NumberFilter):
        if spec.extra.get("decimal_places") == 0:
            parameter.update(type="integer", minimum=spec.extra.get("min_value", 0))
            if "max_digits" in spec.extra:
                parameter["maximum"] = 10 ** spec.extra["max_digits"] - 1
        else:
            # Plain digits (auctions.money), as many on each side of the point as the filter takes.
            places, digits = spec.extra["decimal_places"], spec.extra["max_digits"]
            pattern = rf"^[0-9]{{1,{digits - places}}}(\.[0-9]{{1,{places}}})?$"
            parameter.update(type="string", format="decimal", pattern=pattern)
    elif isinstance(spec, filters.IsoDateTimeFilter):
        parameter["format"] = "date-time"
    elif isinstance(spec, (filters.ChoiceFilter, filters.OrderingFilter)):
        parameter["enum"] = [value for value, _label in spec.extra["choices"]]
    elif isinstance(spec, filters.CharFilter):
        parameter["pattern"] = _NO_NUL_PATTERN  # Django's forms refuse NUL characters (400)
        if "max_length" in spec.extra:
            parameter["maxLength"] = spec.extra["max_length"]


class _NullableNestedInspector(FieldInspector):
    """A nested serializer with allow_null (`leading_bidder`, ...) is a reference that may be
    null; drf-yasg drops the `x-nullable` of a bare $ref, so wrap it."""

    def field_to_swagger_object(self, field, swagger_object_type, use_references, **kwargs):
        if not (isinstance(field, serializers.Serializer) and field.allow_null and use_references):
            return NotHandled
        others = [inspector for inspector in self.field_inspectors if inspector is not type(self)]
        inner = ReferencingSerializerInspector(
            self.view, self.path, self.method, self.components, self.request, others
        ).field_to_swagger_object(field, swagger_object_type, use_references, **kwargs)
        if not isinstance(inner, openapi.SchemaRef):
            return inner
        return openapi.Schema(
            type=openapi.TYPE_OBJECT, all_of=[inner], x_nullable=True, read_only=field.read_only or None
        )


class SchemaGenerator(OpenAPISchemaGenerator):
    endpoint_enumerator_class = _Enumerator

    def get_overrides(self, view, method):
        overrides = dict(super().get_overrides(view, method))
        overrides["field_inspectors"] = [_NullableNestedInspector, *overrides.get("field_inspectors", [])]
        _describe_write_scope(view, method, overrides)
        return overrides

    def get_operation(self, view, path, prefix, method, components, request):
        operation = super().get_operation(view, path, prefix, method, components, request)
        # A view that authenticates nobody (metadata, register, token) is public: without an
        # empty `security` it would inherit the global Bearer requirement.
        if operation is not None and not getattr(view, "authentication_classes", True) and "security" not in operation:
            operation["security"] = PUBLIC
        filterset = getattr(view, "filterset_class", None)
        if operation is not None and filterset is not None:
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _describe_filter(parameter, filterset.base_filters.get(parameter["name"]))
        return operation

    def get_schema(self, request=None, public=False):
        schema = super().get_schema(request, public)
        # Every error is RFC 9457 problem details (auctioneer.problems): say so, so that a
        # client (or a schema fuzzer) knows `application/problem+json` is one of the answers.
        schema["produces"] = [*schema.get("produces", ["application/json"]), PROBLEM_CONTENT_TYPE]
        definitions = schema.get("definitions", {})
        inputs = _referenced_from_bodies(schema, definitions)
        for name, definition in definitions.items():
            _open_mixed_types(definition)
            _drop_output_only_constraints(definition, everywhere=name not in inputs)
            if name in inputs:
                _forbid_nul(definition)
            else:
                _require_output_fields(definition)
        for path in schema["paths"].values():
            for method, operation in path.items():
                if not isinstance(operation, dict) or method == "parameters":
                    continue
                if "produces" in operation:
                    operation["produces"] = [*operation["produces"], PROBLEM_CONTENT_TYPE]
                _describe_body(method, operation, definitions)
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "body":
                        _forbid_nul(parameter.get("schema", {}))
                _describe_pagination(operation, definitions)
                _describe_transport_errors(method, operation)
        return schema


def _referenced_from_bodies(schema: dict, definitions: dict) -> set[str]:
    """Names of the definitions a request body uses, directly or nested."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/definitions/") and (name := ref.split("/")[-1]) not in found:
                found.add(name)
                walk(definitions.get(name, {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in schema["paths"].values():
        for operation in path.values():
            if isinstance(operation, dict):
                walk([p for p in operation.get("parameters", []) if p.get("in") == "body"])
    return found


def _open_mixed_types(definition: dict) -> None:
    """A field that takes one of several JSON types (`x-types`, e.g. `item`: an id or an object)
    has no `type` at all: Swagger 2.0 cannot say "one of", and naming one would be untrue."""
    for prop in definition.get("properties", {}).values():
        if "x-types" in prop:
            prop.pop("type", None)
            prop.pop("pattern", None)


def _drop_output_only_constraints(definition: dict, *, everywhere: bool) -> None:
    """drf-yasg copies input rules (`minLength: 1` of a non-blank CharField) onto fields that
    are only ever sent, never validated: an empty `city` or `description` is a valid answer.
    `everywhere` for definitions no request body uses; else only on read-only fields."""
    for prop in definition.get("properties", {}).values():
        if everywhere or prop.get("readOnly"):
            prop.pop("minLength", None)
        _drop_output_only_constraints(prop, everywhere=everywhere)
    if isinstance(definition.get("items"), dict):
        _drop_output_only_constraints(definition["items"], everywhere=everywhere)


def _require_output_fields(definition: dict) -> None:
    """drf-yasg leaves read-only fields out of `required`, as a request body need not send
    them; in a definition only answers use, a read-only field is always in the answer (DRF
    renders every one, and the written-out `to_representation`s are kept equal to the declared
    fields), so a generated client should not have to treat it as optional."""
    always = [name for name, prop in definition.get("properties", {}).items() if prop.get("readOnly")]
    required = definition.get("required", [])
    if always:
        definition["required"] = [*required, *(name for name in always if name not in required)]


def _forbid_nul(node: dict) -> None:
    """DRF's CharField refuses NUL characters (400): say so on every plain input string."""
    if node.get("type") == "string" and not ({"pattern", "format", "enum"} & node.keys()) and not node.get("readOnly"):
        node["pattern"] = _NO_NUL_PATTERN
    for prop in node.get("properties", {}).values():
        _forbid_nul(prop)
    if isinstance(node.get("items"), dict):
        _forbid_nul(node["items"])


def _describe_body(method: str, operation: dict, definitions: dict) -> None:
    """A body whose every field is optional (and any PATCH body) may be left out."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "body":
            continue
        body = parameter.get("schema", {})
        ref = body.get("$ref", "")
        if ref.startswith("#/definitions/"):
            body = definitions.get(ref.split("/")[-1], {})
        if method == "patch" or not body.get("required"):
            parameter["required"] = False


def _describe_write_scope(view, method: str, overrides: dict) -> None:
    """A write behind `WritesNeedWriteScope` answers 403 to a token without the `write` scope,
    whether or not the operation has a 403 of its own to list (then its text says so too)."""
    if method.upper() in SAFE_METHODS or WritesNeedWriteScope not in getattr(view, "permission_classes", ()):
        return
    responses = dict(overrides.get("responses") or {})
    if all(str(code) != "403" for code in responses):
        responses[403] = problem_response(WritesNeedWriteScope.message)
    overrides["responses"] = responses


def _describe_transport_errors(method: str, operation: dict) -> None:
    """Every operation can meet the server's request-line limit (auctioneer/http_limits.py);
    every write, a body sent to it meets the body guards (auctioneer.middleware: chunked, or
    over the limit), and every operation with a body the JSON-only parsers; each answers a
    problem."""
    problem = {"$ref": "#/definitions/Problem"}
    responses = operation.setdefault("responses", {})
    responses.setdefault(
        "414",
        {
            "description": f"The request line (method, path and query) is over {REQUEST_LINE_MAX_BYTES:,} bytes.",
            "schema": problem,
        },
    )
    if method in ("post", "put", "patch", "delete"):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        responses.setdefault(
            "411", {"description": "The body is chunked; send it with a Content-Length.", "schema": problem}
        )
        responses.setdefault("413", {"description": f"The body is over {limit:,} bytes.", "schema": problem})
    if any(parameter.get("in") == "body" for parameter in operation.get("parameters", [])):
        responses.setdefault("415", {"description": NOT_JSON_TEXT, "schema": problem})


def _describe_pagination(operation: dict, definitions: dict) -> None:
    """Paginated lists (auctioneer.pagination): page ≥ 1 or `last` (past the last page is 404), page_size
    ≥ 1 (capped at the maximum), either left empty means left out, and a bad value is a 400
    problem."""
    parameters = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}
    if "page" not in parameters:
        return
    # A number from 1, or `last`; `?page=` is the first page.
    parameters["page"].update(
        type="string",
        pattern="^([1-9][0-9]*|last)?$",
        description="A page number (from 1), or `last` for the last page.",
        allowEmptyValue=True,
    )
    parameters["page"].pop("format", None)
    if "page_size" in parameters:
        parameters["page_size"].update(minimum=1, allowEmptyValue=True)  # `?page_size=`: the default
    problem = {"$ref": "#/definitions/Problem"} if "Problem" in definitions else {"type": "object"}
    responses = operation.setdefault("responses", {})
    responses.setdefault("400", {"description": "Invalid query parameters (problem details).", "schema": problem})
    responses.setdefault("404", {"description": "No such page (problem details).", "schema": problem})
