"""Customers' SMPP binds: authenticate, take submit_sm into MT, deliver MO and receipts.

The top capability: it may use MT and MO. accounts.py, submits.py, delivering.py,
connections.py; customer_smpp.py is the server's life; ports.py what they need.
"""
