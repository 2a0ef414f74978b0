"""borne: the firmware of a SESAM-Vitale reader appliance.

The box reads the professional's CPS and the patient's carte Vitale over PC/SC,
publishes what happens as typed events, and serves the billing software.

Importing this package loads no hardware library (pyscard, nfcpy, picamera2,
luma, gpiozero): each is imported only inside the backend that uses it, so the
daemon starts fast on a Raspberry Pi Zero. ``tests/unit/test_imports.py`` keeps
that promise.
"""

__version__ = "0.1.0"
#: Level of the local API contract; bumped on any incompatible change.
API_LEVEL = 1

__all__ = ["__version__", "API_LEVEL"]
