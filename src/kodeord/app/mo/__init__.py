"""MO: a message from a phone, from the operator link to the customer.

intake (store before the deliver_sm_resp), routing (decide with the registry) and
delivery to the routed destination.
"""
