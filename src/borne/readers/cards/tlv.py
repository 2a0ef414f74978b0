"""A strict BER-TLV parser for the data objects cards return (ISO/IEC 7816-4 §5.2).

Strict means: a truncated tag, length or value, an indefinite length (``80``)
or a length form beyond ``82`` raises :class:`~borne.errors.CardError` with
code ``card_data_invalid``; the parser never reads past the buffer it was given.

Supported:

=============  ==============================================================
Tags           1 to 3 bytes (low 5 bits ``1F`` then continuation bytes)
Lengths        short form (``00``..``7F``), ``81 xx``, ``82 xx xx``
Padding        ``00``/``FF`` bytes between objects, only when asked
               (``skip_padding=True``; ISO 7816-4 allows them, and files read
               from a card are often padded up to their size)
=============  ==============================================================

:func:`parse_prefix` is the lenient reading the public Vitale readers do
(Rufus ``lecteurvitale.cpp`` stops at a ``00`` tag, cardpeek's ``lib/tlv.lua``
at tag 0): the objects up to the first padding byte or the first malformed
object, and why it stopped. ``00`` and ``FF`` are not valid first tag bytes
(ISO/IEC 7816-4), so where a tag is due they can only be padding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from borne.errors import CardError

__all__ = ["Prefix", "Tlv", "find", "find_all", "parse", "parse_prefix"]

_MAX_TAG_BYTES = 3
_MAX_DEPTH = 16


@dataclass(frozen=True)
class Tlv:
    """One data object: ``tag`` as an int (``0x5F20`` for two bytes), its raw ``value``."""

    tag: int
    value: bytes
    constructed: bool

    def children(self) -> list[Tlv]:
        """The objects nested in a constructed object (strict, no padding)."""
        if not self.constructed:
            raise CardError(f"tag {self.tag:X} is primitive", code="card_data_invalid")
        return parse(self.value)

    def child(self, tag: int) -> Tlv | None:
        """The first nested object with ``tag``, or None."""
        return find(self.children(), tag)


def _invalid(detail: str) -> CardError:
    return CardError(detail, code="card_data_invalid")


def _read_tag(data: bytes, pos: int) -> tuple[int, bool, int]:
    first = data[pos]
    constructed = bool(first & 0x20)
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:
        count = 1
        while True:
            if pos >= len(data):
                raise _invalid("truncated tag")
            byte = data[pos]
            tag = (tag << 8) | byte
            pos += 1
            count += 1
            if count > _MAX_TAG_BYTES:
                raise _invalid("tag too long")
            if not byte & 0x80:
                break
    return tag, constructed, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise _invalid("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    if first == 0x80:
        # Indefinite lengths do not occur in card files; accepting one would let
        # a garbage buffer steer the parser.
        raise _invalid("indefinite length")
    count = first & 0x7F
    if count > 2:
        raise _invalid("length form not supported")
    if pos + count > len(data):
        raise _invalid("truncated length")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def parse(data: bytes, *, skip_padding: bool = False) -> list[Tlv]:
    """The top-level data objects of ``data``, in order.

    Raises ``CardError(code="card_data_invalid")`` on any malformed byte.
    """
    data = bytes(data)
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        if skip_padding and data[pos] in (0x00, 0xFF):
            pos += 1
            continue
        tag, constructed, pos = _read_tag(data, pos)
        length, pos = _read_length(data, pos)
        end = pos + length
        if end > len(data):
            raise _invalid("value overruns the buffer")
        out.append(Tlv(tag, data[pos:end], constructed))
        pos = end
    return out


@dataclass(frozen=True)
class Prefix:
    """The well-formed objects at the start of a buffer, and why the reading stopped."""

    objects: list[Tlv]
    #: ``None``: the buffer ended; ``"padding"``: a ``00``/``FF`` byte where a tag
    #: was due (the end of the data); ``"malformed"``: the next object is truncated
    #: or unparsable, and it and what follows were left out.
    stopped: Literal["padding", "malformed"] | None


def parse_prefix(data: bytes) -> Prefix:
    """The top-level objects of ``data`` up to its end, its padding or a malformed object.

    Never raises on the content of ``data``: what is well formed before the stop
    is returned, and :attr:`Prefix.stopped` says whether something was lost.
    """
    data = bytes(data)
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        if data[pos] in (0x00, 0xFF):
            return Prefix(out, "padding")
        try:
            tag, constructed, at = _read_tag(data, pos)
            length, at = _read_length(data, at)
        except CardError:
            return Prefix(out, "malformed")
        if at + length > len(data):
            return Prefix(out, "malformed")
        out.append(Tlv(tag, data[at : at + length], constructed))
        pos = at + length
    return Prefix(out, None)


def find(objects: Iterable[Tlv], tag: int) -> Tlv | None:
    """The first object with ``tag`` among ``objects`` (no recursion)."""
    for obj in objects:
        if obj.tag == tag:
            return obj
    return None


def find_all(objects: Iterable[Tlv], tag: int) -> list[Tlv]:
    """Every object with ``tag`` among ``objects`` (no recursion)."""
    return [obj for obj in objects if obj.tag == tag]
