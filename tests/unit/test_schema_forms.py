"""msgspec's schemas in the OpenAPI document's forms (borne.api.schema_forms), form by form."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec
import pytest
from msgspec import UNSET, Meta, Struct, UnsetType

from borne.api.schema_forms import UNDOCUMENTED, document_form

REF = "#/components/schemas/{name}"


class Inner(Struct):
    """Inside.

    Second paragraph, on
    two lines."""

    inline: ClassVar[bool] = True
    code: str


class Named(Struct):
    value: int


class Outer(Struct, forbid_unknown_fields=True):
    text: str | None
    bounded: Annotated[int, Meta(ge=0, le=9)] | None
    named: Annotated[Named | None, Meta(description="a   named\n   one")]
    inner: Inner | None
    inners: list[Inner]
    choice: Literal["b", "a"]
    only: Literal[True]
    hidden: Annotated[int | UnsetType, UNDOCUMENTED] = UNSET


def _outer() -> dict:
    _, components = msgspec.json.schema_components([Outer], ref_template=REF)
    return document_form(components["Outer"], components, frozenset({"Inner"}))


INNER = {"description": "Inside.\n\nSecond paragraph, on two lines.", "type": "object",
         "properties": {"code": {"type": "string"}}, "required": ["code"]}


@pytest.mark.parametrize("field, form", [
    ("text", {"type": ["string", "null"]}),
    ("bounded", {"type": ["integer", "null"], "minimum": 0, "maximum": 9}),
    ("named", {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Named"}],
               "description": "a named one"}),
    ("inner", {"oneOf": [{"type": "null"}, INNER]}),
    ("inners", {"type": "array", "items": INNER}),
    ("choice", {"type": "string", "enum": ["a", "b"]}),
    ("only", {"const": True}),
])
def test_each_form(field, form):
    assert _outer()["properties"][field] == form


def test_the_object_itself():
    outer = _outer()
    assert "title" not in outer and outer["additionalProperties"] is False
    assert "hidden" not in outer["properties"]  # sent, not documented
    assert outer["required"] == ["text", "bounded", "named", "inner", "inners", "choice", "only"]


def test_an_empty_required_is_left_out():
    class Optional(Struct):
        seconds: Annotated[int, Meta(ge=1)] = 60

    schema = msgspec.json.schema(Optional)["$defs"]["Optional"]
    assert document_form(schema, {}, frozenset()) == {
        "type": "object", "properties": {"seconds": {"type": "integer", "minimum": 1,
                                                     "default": 60}}}


def test_a_nullable_enum_stays_a_choice():
    # {"type": ["string", "null"], "enum": [...]} would refuse null: oneOf instead.
    schema = msgspec.json.schema(Literal["a", "b"] | None)
    assert document_form(schema, {}, frozenset()) == {
        "oneOf": [{"type": "null"}, {"type": "string", "enum": ["a", "b"]}]}
