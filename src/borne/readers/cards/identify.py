"""Which card is this? Classify by ATR, then let the card prove it.

============================  ==================================================
ATR family (see ``atr.py``)   What happens
============================  ==================================================
CPS3 / CPS3 contactless/CPS4  the CPS script (``cps.py``)
Vitale 1                      :class:`Vitale1Card`, no APDU sent (proprietary)
anything else                 the public Vitale 2 selections (``vitale.py``);
                              refused → :class:`UnknownCard` named from
                              smartcard_list.txt
============================  ==================================================

A card that refuses the Vitale selections is "not a Vitale"; a card that
accepts the VITALE application and then returns malformed data is a broken or
hostile Vitale, reported as ``CardError`` (``card_data_invalid`` or
``card_protocol_error``), never silently as "unknown".
"""

from __future__ import annotations

from collections.abc import Callable

from borne.readers.cards import atr as atr_table
from borne.readers.cards.cps import CpsLayout, read_cps
from borne.readers.cards.model import Card, UnknownCard, Vitale1Card
from borne.readers.cards.script import CardScript
from borne.readers.cards.vitale import probe_vitale

__all__ = ["read_card"]


def read_card(
    atr: bytes,
    *,
    cps_layout: CpsLayout | None = None,
    atr_names: Callable[[bytes], tuple[str, ...]] | None = None,
) -> CardScript[Card]:
    """The card script that identifies and decodes the card with this ATR.

    ``atr_names`` names unknown cards (default: Debian's smartcard_list.txt,
    read lazily, empty if missing).
    """
    atr = bytes(atr)
    known = atr_table.classify(atr)
    family = known.family if known else None
    if family in ("cps3", "cps3_contactless"):
        return (yield from read_cps(atr, "CPS3", cps_layout))
    if family == "cps4":
        return (yield from read_cps(atr, "CPS4", cps_layout))
    if family == "vitale1":
        return Vitale1Card(atr=atr)
    vitale = yield from probe_vitale(atr)
    if vitale is not None:
        return vitale
    names = (atr_names or atr_table.atr_names)(atr)
    return UnknownCard(atr=atr, names=tuple(names))
