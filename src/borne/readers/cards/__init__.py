"""Card decoding: sans-I/O scripts that identify and read CPS and carte Vitale.

Importing this package is cheap: no pyscard, no cryptography (the CPS decoder
imports ``cryptography`` only when it parses a certificate).
"""

from __future__ import annotations

from borne.readers.cards.identify import read_card

__all__ = ["read_card"]
