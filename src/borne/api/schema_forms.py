"""msgspec's JSON Schemas, rewritten into the forms the OpenAPI document has always used.

``msgspec.json.schema_components`` says the same things in its own words; billing
software has generated clients from the document's words, so they are kept:

==========================================  ==============================================
msgspec                                     the document
==========================================  ==============================================
``{"anyOf": [{"type": "string"}, null]}``   ``{"type": ["string", "null"]}`` (any scalar)
``{"anyOf": [{"$ref": ...}, null]}``        ``{"oneOf": [{"type": "null"}, {"$ref": ...}]}``
``{"enum": ["a", "b"]}`` (strings)          ``{"type": "string", "enum": ["a", "b"]}``
``{"enum": [x]}`` (one value)               ``{"const": x}``
``"title"`` (the class name)                dropped
``"required": []``                          dropped
a docstring's line breaks                   spaces (paragraphs stay apart)
==========================================  ==============================================

Two choices are the API's, not msgspec's: a struct marked ``inline`` (a small body
with no name of its own) is written out where it is used instead of ``$ref``; and a
field marked :data:`UNDOCUMENTED` is sent but not (yet) part of the contract, so it
is left out of the schema.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["UNDOCUMENTED", "document_form"]

#: ``Annotated[T, UNDOCUMENTED]``: a field the API sends that its document does not promise.
UNDOCUMENTED = msgspec.Meta(extra_json_schema={"x-undocumented": True})

_SCALARS = frozenset({"string", "integer", "number", "boolean"})
_NULL = {"type": "null"}


def _text(description: str) -> str:
    paragraphs = description.strip().split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf [X, null]`` as the document says it (the siblings, e.g. a description, kept)."""
    choices = schema.pop("anyOf")
    (other,) = [c for c in choices if c != _NULL]
    if isinstance(other.get("type"), str) and other["type"] in _SCALARS \
            and "enum" not in other and "const" not in other:
        return {**other, "type": [other["type"], "null"], **schema}
    return {"oneOf": [dict(_NULL), other], **schema}


def document_form(schema: Any, components: dict[str, Any], inline: frozenset[str]) -> Any:
    """``schema`` (a msgspec JSON Schema) in the document's forms; ``$ref`` to a name in
    ``inline`` replaced by that component (from ``components``), written out in full."""
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if ref is not None and ref.rsplit("/", 1)[-1] in inline:
        return document_form(components[ref.rsplit("/", 1)[-1]], components, inline)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "required" and not value):
            continue
        if key == "description":
            out[key] = _text(value)
        elif key == "properties":
            kept = {name: field for name, field in value.items()
                    if not (isinstance(field, dict) and field.get("x-undocumented"))}
            out[key] = {name: document_form(field, components, inline)
                        for name, field in kept.items()}
            if "required" in schema:
                required = [name for name in schema["required"] if name in kept]
                if required:
                    out["required"] = required
        elif key == "required":
            continue  # written with the properties above
        elif key in ("items", "additionalProperties"):
            out[key] = document_form(value, components, inline)
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [document_form(choice, components, inline) for choice in value]
        else:
            out[key] = value
    if "enum" in out:
        if len(out["enum"]) == 1:
            out["const"] = out.pop("enum")[0]
        elif "type" not in out and all(isinstance(v, str) for v in out["enum"]):
            out["type"] = "string"
    if "anyOf" in out and _NULL in out["anyOf"] and len(out["anyOf"]) == 2:
        return _nullable(out)
    return out
