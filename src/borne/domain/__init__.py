"""Pure domain rules of French healthcare (NIR/INS, GS1 codes of medicine boxes...), with no I/O."""
