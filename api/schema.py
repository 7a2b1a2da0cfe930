"""OpenAPI schema additions drf-spectacular cannot infer."""

ERRORS = {
    "400": "A parameter is malformed (not a number, out of range, NUL character, unknown language), or a "
    "search is too large for one IATI file (`/api/v1/iati/`).",
    "404": "No such published organisation, or a page after the last one.",
    "429": "Too many requests from this address: wait the number of seconds in Retry-After.",
}
ERROR_BODY = {"type": "object", "additionalProperties": True}
NO_NUL = "^[^\\u0000]*$"  # a NUL character in a parameter answers 400


def _strings(schema):
    """The string schemas of a parameter: itself, or its items when it is repeatable."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    return [schema] if schema.get("type") == "string" and "enum" not in schema else []


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation documents its error answers, among them the throttle's 429, and
    that its text parameters may not hold NUL characters."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                for schema in _strings(parameter.get("schema", {})):
                    schema.setdefault("pattern", NO_NUL)
            for status, description in ERRORS.items():
                response = {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}
                if status == "429":
                    response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
                operation["responses"].setdefault(status, response)
            operation["responses"].setdefault(
                "304", {"description": "Not modified (If-None-Match, If-Modified-Since)."}
            )
    return result
