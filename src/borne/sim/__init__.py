"""The simulated box: a private pcscd with the vpcd driver, virtual card processes
speaking the public card layouts, and the daemon configured for them.

Used by ``borne sim ...`` so a newcomer sees the box work, and by the tests.
Nothing here is imported by the daemon on a real box.
"""
