"""The PC/SC smart-card backend (``pcsc``, ``pcsc:GLOB`` and its twin ``sim`` in the registry).

- :mod:`~borne.readers.pcsc.backend`: :class:`PcscBackend`, the worker thread
  that watches every slot and reads the cards put in them;
- :mod:`~borne.readers.pcsc.vocabulary`: the PC/SC numbers, the mapping of PC/SC
  return codes to borne's stable codes and the diagnosis of a failed exchange,
  shared with the APDU channel (:mod:`borne.apdu.exchange`).

Both take the ``scard`` module they call (pyscard's by default, imported on
first use), so the watcher also runs against the simulator's in-memory pcscd.
"""

from .backend import PcscBackend

__all__ = ["PcscBackend"]
