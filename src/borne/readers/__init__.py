"""Input backends (PC/SC slots today; NFC, QR camera and USB scanner later) and card decoders.

Backends are chosen by a path string looked up in :mod:`borne.registry`; the
card decoders in :mod:`borne.readers.cards` are pure code that never touch I/O.
"""
