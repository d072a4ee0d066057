"""Kodeord: an SMS short-number gateway with keyword leasing and SMPP 3.4."""

__version__ = "0.1.0"
