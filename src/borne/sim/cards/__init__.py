"""The test cards: one TOML file per fictitious person, loaded as virtual chips.

Every name, NIR and serial here is fictitious ("-TEST" surnames); the CPS
certificates come from a test CA that says so in its name.
"""

from .load import CARD_NAMES, load_card

__all__ = ["CARD_NAMES", "load_card"]
