"""The box as a USB CCID smart-card reader (issue 18): message core and transports."""
