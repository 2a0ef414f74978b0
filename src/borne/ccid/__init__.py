"""A USB CCID smart-card reader's device side, sans-I/O: bytes in, bytes out.

The CCID specification ("Device Class: Smart Card CCID, Specification for Integrated
Circuit(s) Cards Interface Devices", rev 1.1, 2005) fixes the bulk and interrupt messages a
PC/SC workstation's CCID driver exchanges with a reader. :mod:`.messages` holds their
layouts, :mod:`.descriptor` the class descriptor, :mod:`.device` the reader's state
machine over the box's slots. No sockets, USB or threads here: a transport (FunctionFS on
a Pi, a serial line to ``libccidtwin`` in tests) carries the bytes.
"""
