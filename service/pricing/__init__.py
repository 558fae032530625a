"""The pure pricing core: money, usage, effective prices and estimates; no HTTP, no SQL, no I/O."""
