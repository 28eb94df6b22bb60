"""Entry points: the `baton` command, the composition root and the demo; above everything."""
