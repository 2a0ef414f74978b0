"""The daemon's runtime plumbing on the box: the clock, the mode, systemd, logs, the data partition.

Nothing here knows a card or a route. What each module does:

==========================  ==============================================================
``clock``                   monotonic time and the UTC wall clock with its source
``clock_watch``             publishes ``clock.set`` when NTP takes the wall clock over
``mode``                    ``counter`` or ``mobile``, and where a switch is kept
``systemd_notify``          ``READY=1`` and the watchdog (sd_notify)
``systemd_journal``         structured records to systemd-journald (its native protocol)
``logs``                    logging set-up, the event logger's allow-list, NIR redaction
``durable``                 fsync of a directory, so a new file's name survives a power cut
``storage_watch``           whether the data partition still takes writes
``system_bus``              D-Bus connections and calls (RAUC's, NetworkManager's), failures named
==========================  ==============================================================
"""
