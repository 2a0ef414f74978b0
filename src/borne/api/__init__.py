"""The box's mutually authenticated HTTPS API for billing software (aiohttp), and its event stream.

Runs on the box. The SDK that calls it runs on the workstation: :mod:`borne.client`.
"""
