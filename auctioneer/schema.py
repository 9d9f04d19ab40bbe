from drf_yasg.generators import EndpointEnumerator, OpenAPISchemaGenerator

from auctioneer.problems import PROBLEM_CONTENT_TYPE


class _Enumerator(EndpointEnumerator):
    def get_path_from_regex(self, path_regex: str) -> str:
        # `api_path` routes end in "/?" (the slash is optional); document the canonical,
        # slash-less path.
        return str(super().get_path_from_regex(path_regex.replace("/?$", "$")))


class SchemaGenerator(OpenAPISchemaGenerator):
    endpoint_enumerator_class = _Enumerator

    def get_schema(self, request=None, public=False):
        schema = super().get_schema(request, public)
        # Every error is RFC 9457 problem details (auctioneer.problems): say so, so that a
        # client (or a schema fuzzer) knows `application/problem+json` is one of the answers.
        schema["produces"] = [*schema.get("produces", ["application/json"]), PROBLEM_CONTENT_TYPE]
        for path in schema["paths"].values():
            for operation in path.values():
                if isinstance(operation, dict) and "produces" in operation:
                    operation["produces"] = [*operation["produces"], PROBLEM_CONTENT_TYPE]
        return schema
