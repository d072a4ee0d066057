"""MT: a message to a phone, from the customer to the operator link.

accept (validate, store, queue), send over a link, receipts and status callbacks.
"""
