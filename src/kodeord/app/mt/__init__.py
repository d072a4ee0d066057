"""MT: a message to a phone, from the customer to the operator link.

accept.py (validate, store, queue) and gateway_sms.py (the gateway's own SMS, for MO),
sending.py (`send_mt` over a link), receipts.py (`receipt`), callbacks.py
(`status_callback`), statuses.py (the status machine and what a change enqueues),
send_limits.py (API keys' buckets), messages.py (reading messages back, settings);
outbound.py builds them together; ports.py is what they need from outside.
"""
