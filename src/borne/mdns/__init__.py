"""Finding the box on a local network: DNS-SD over mDNS (``_borne._tcp``).

- :mod:`borne.mdns.announcement`: what is announced and where (pure: names, TXT
  record, addresses), shared by the box and the workstation's SDK;
- :mod:`borne.mdns.settings`: the ``[mdns]`` section, checked when read;
- :mod:`borne.mdns.announcer`: the box's announcer (python-zeroconf, on the daemon's loop).

Importing this package loads no zeroconf.
"""
