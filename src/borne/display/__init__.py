"""The OLED screen, the button, the status LED and the buzzer.

- :mod:`.views` and :mod:`.texts`: what each screen says (French first);
- :mod:`.render`: a view drawn into an image, for 128x64 and 256x64 panels (pure);
- :mod:`.state`: which view matters now, folded from the event stream (pure);
- :mod:`.service`: the screen following the daemon's events, dimming, retrying;
- :mod:`.settings`: the ``[display]`` section and the panel's path string, checked (pure);
- :mod:`.device`: the panel driver (luma.oled) and its dummy twin;
- :mod:`.panel`: button, LED and buzzer through gpiozero;
- :mod:`.snapshots`: the PNG baselines of every screen (``python -m borne.display.snapshots``);
- :mod:`.terminal`: a frame printed in a terminal (``borne sim screen``).
"""
