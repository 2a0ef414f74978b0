"""Joining a network with no keyboard: a phone's Wi-Fi QR code, confirmed at the box, joined
through NetworkManager over D-Bus.

=================  ==========================================================================
module             job
=================  ==========================================================================
``wifi_code``      the ``WIFI:`` code (ZXing's format) parsed into :class:`WifiCredentials`
``provisioning``   the offer and its confirmation by the button (sans I/O, time passed in)
``nm_profile``     the Wi-Fi profile the box gives NetworkManager (one per SSID)
``nm_reasons``     NetworkManager's device-state reasons as the box's stable codes
``nm_results``     what the client answers (join result, known networks, state)
``nm_client``      NetworkManager over D-Bus (dbus-fast): join, known, forget, state
``settings``       the ``[network]`` section
``service``        the daemon's side: codes shown, the button, joins, events, state
=================  ==========================================================================

This package's ``__init__`` imports nothing.
"""
