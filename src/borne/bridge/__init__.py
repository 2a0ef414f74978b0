"""The workstation bridge: the box's card slots as local PC/SC readers (``borne bridge``)."""
