"""The built-in operator simulator: a real SMPP SMSC with virtual phones."""
