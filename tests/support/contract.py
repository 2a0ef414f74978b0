"""The OpenAPI document as a test oracle: real responses are validated against it."""

from __future__ import annotations

import jsonschema

from borne.api.openapi import document

__all__ = ["DOC", "check", "validate_status"]

DOC = document()


def check(method: str, template: str, response) -> None:
    """Validate one real response against the document's schema for it."""
    operation = DOC["paths"][template][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {template} answered undocumented {response.status_code}"
    content = documented.get("content", {})
    kind = response.headers.get("content-type", "").split(";")[0]
    assert kind in content, f"{method} {template}: {kind} not documented"
    if kind == "application/json":
        schema = {**DOC, **content[kind]["schema"]}  # resolves #/components/... inside DOC
        jsonschema.Draft202012Validator(schema).validate(response.json())


def validate_status(body: dict) -> None:
    """Validate a ``GET /v1/status`` body against the document."""
    schema = DOC["paths"]["/v1/status"]["get"]["responses"]["200"]["content"]["application/json"]
    jsonschema.Draft202012Validator({**DOC, **schema["schema"]}).validate(body)
