"""The ``borne`` command line.

On the box: ``serve``, ``status``, ``doctor``, ``pair``, ``clients``, ``mode``, ``audit``.
On a workstation: ``client ...`` and ``bridge``. On a development machine: ``sim ...``
(a plug-in, absent where :mod:`borne.sim` is not installed).
"""
