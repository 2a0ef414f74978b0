"""The box's input backends (PC/SC slots, NFC, QR camera, USB QR scanner) and card decoders.

Backends are chosen by a path string looked up in :mod:`borne.registry`; the
card decoders in :mod:`borne.readers.cards` are pure code that never touch I/O.
"""
