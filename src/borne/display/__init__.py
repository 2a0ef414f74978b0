"""The OLED screen, buttons, status LED and buzzer (display issue): screens laid out by pure code
from the daemon's state, drivers behind luma and gpiozero with their twins. Empty for now."""
