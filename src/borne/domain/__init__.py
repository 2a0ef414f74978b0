"""Pure domain rules of French healthcare (NIR/INS...), with no I/O."""
