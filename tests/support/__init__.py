"""What the tests share: one way to start a simulated box, and the oracles they check it with.

On ``sys.path`` through ``[tool.pytest.ini_options] pythonpath``; no test module
imports another test module.

- :mod:`support.box`: the daemon in the test process, on the tests' private pcscd
  (:func:`~support.box.box_config`, :func:`~support.box.start_box`,
  :func:`~support.box.running_box`), and paired workstations;
- :mod:`support.sim_cli`: ``borne sim run`` in a child, driven by the ``borne`` command
  (:func:`~support.sim_cli.start_sim`);
- :mod:`support.sections`: the config sections a test passes, merged and written as TOML;
- :mod:`support.fresh_defaults`: a command run where the daemon's default paths are empty
  (tests of the defaults, and commands run as on a workstation);
- :mod:`support.contract`: the OpenAPI document as an oracle;
- :mod:`support.waiting`: waiting for a condition or an event without a race;
- :mod:`support.faulty_cards`: damaged virtual cards (``--factory support.faulty_cards:...``);
- :mod:`support.mdns_browser`: a plain python-zeroconf browser, run on a workstation's side;
- :mod:`support.journal_writer`: an offline-journal writer to SIGKILL (the power-cut test and bench);
- :mod:`support.codes_in_source`: every error code the source raises, found with ``ast``.
"""
