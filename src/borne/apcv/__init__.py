"""The appli carte Vitale and the ordonnance numérique on the box.

- :mod:`.recognise`: which captured payloads are apCV presentations,
  prescriptions, or neither (configurable, ordered rules);
- :mod:`.presentations`: captured payloads waiting for one billing client to
  fetch them, in memory only;
- :mod:`.sessions`: the apCV session rules (duration, invoice quota) as a pure
  state machine on the monotonic clock;
- :mod:`.settings`: the ``[apcv]`` section (policy and rules), checked when read;
- :mod:`.service`: the three wired to the event bus, the inputs and the API.

The apCV's payloads, its NFC application and its authentication are not public:
the box never interprets a presentation. It captures it, keeps it in memory,
hands it to the paired billing software (which authenticates it with its own
licensed components) and then enforces the session rules.
"""
