"""Signed A/B updates through RAUC: vetting a bundle, installing it in the background,
rebooting only when no patient is at the box, and committing the new system once healthy.

=======================  ==================================================================
module                   job
=======================  ==================================================================
``settings``             the ``[update]`` section
``release``              the booted system's version (``/etc/borne-release``), compared
``rauc``                 RAUC's installer over D-Bus (dbus-fast)
``vetting``              a bundle's signature, compatible and version, before any write
``state``                the status, a bundle's info, the pending record on disk
``service``              :class:`UpdateService`: install, status, reboot, boot outcome
``reboot_gate``          what holds a reboot (a card read, a lease, an apCV session, battery)
``commit``               ``borne update commit``: mark the tried slot good, or bad
=======================  ==================================================================

This package's ``__init__`` imports nothing: the configuration reads ``settings``
without loading D-Bus.
"""
