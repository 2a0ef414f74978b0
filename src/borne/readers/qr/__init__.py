"""QR inputs: the camera (and its images: twin), the USB scanner, the decoders."""
