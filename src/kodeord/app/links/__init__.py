"""Operator links: the SMPP binds to the operators and their state."""
