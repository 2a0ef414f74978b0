"""vsmartcard's vpcd protocol: a virtual card plugged into pcscd over TCP.

Shared by the simulator (its virtual cards, :mod:`borne.sim`) and the
workstation's bridge (the box's cards on the workstation, :mod:`borne.bridge`),
so neither depends on the other and the box's image can leave the simulator out.

- :mod:`borne.vpcd.frames`: the frame codec and the card's answers (pure);
- :mod:`borne.vpcd.responder`: what a virtual card must do (:class:`CardResponder`);
- :mod:`borne.vpcd.card`: :class:`VirtualCard`, the socket side.
"""
