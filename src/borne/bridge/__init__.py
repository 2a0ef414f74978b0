"""The workstation bridge: the box's card slots as local PC/SC readers (``borne bridge``).

Runs on the workstation: it speaks to the box only through the API (:mod:`borne.client`) and
to the workstation's pcscd through vpcd (:mod:`borne.vpcd`).
"""
