"""The ``borne`` command line: serve, status, doctor, sim."""
