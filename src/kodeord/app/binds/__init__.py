"""Customers' SMPP binds: authenticate, take submit_sm into MT, deliver MO and receipts."""
