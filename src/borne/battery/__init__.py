"""The battery of a mobile box: an INA219-based UPS board read over I2C, and its twin.

=================  ===========================================================
module             job
=================  ===========================================================
``ina219``         the chip, register by register (TI SBOS448), over smbus2
``twin``           an emulated INA219 on an in-memory I2C bus, and a battery
``curve``          a Li-ion pack's voltage to a level in percent
``monitor``        readings to ok/low/critical, with the debounce (pure)
``settings``       the device path and ``[battery]`` checked
``backend``        the worker thread that polls the chip (registry kind ``battery``)
``service``        events, ``/v1/status``, the screen, and the power-off
``poweroff``       the request file root's ``borne-poweroff.path`` acts on
=================  ===========================================================

Importing this package loads no hardware library: smbus2 is imported when a
real board's bus is opened.
"""
