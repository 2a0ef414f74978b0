"""The box's own CA, pairing, client certificates and TLS contexts (API issue). Empty for now."""
