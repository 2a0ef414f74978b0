"""NFC input: a phone in card emulation presenting the apCV, read with nfcpy."""
