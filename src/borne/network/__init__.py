"""Networking of the box: Wi-Fi credentials from a QR code, NetworkManager over D-Bus."""
