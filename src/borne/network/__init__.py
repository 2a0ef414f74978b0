"""Joining a network with no keyboard: a phone's Wi-Fi QR code, confirmed at the box.

=================  ==========================================================================
module             job
=================  ==========================================================================
``wifi_code``      the ``WIFI:`` code (ZXing's format) parsed into :class:`WifiCredentials`
``provisioning``   the offer and its confirmation by the button (sans I/O, time passed in)
=================  ==========================================================================

This package's ``__init__`` imports nothing.
"""
