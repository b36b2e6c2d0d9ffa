"""Models: the one-pass encoder, trained heads, training and scoring (see models/README.md)."""
