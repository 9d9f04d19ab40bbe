from drf_yasg.generators import EndpointEnumerator, OpenAPISchemaGenerator


class _Enumerator(EndpointEnumerator):
    def get_path_from_regex(self, path_regex: str) -> str:
        # `api_path` routes end in "/?" (the slash is optional); document the canonical,
        # slash-less path.
        return str(super().get_path_from_regex(path_regex.replace("/?$", "$")))


class SchemaGenerator(OpenAPISchemaGenerator):
    endpoint_enumerator_class = _Enumerator
