"""MO: a message from a phone, from the operator link to the customer.

1. intake.py `InboundReceiver.receive`: store the MO (with its routing decision and its
   deliver job) before the deliver_sm_resp.
2. routing.py `MoRouter`: decide with the registry (domain.routing.route), record the
   decision, queue what follows (deliver jobs, opt-outs, replies); the `route` job.
3. delivery.py `MoDelivery`: the `deliver` job, one attempt through the destination
   registered for the route's type (destinations/), recorded in the delivery log.

ports.py holds what MO needs from outside; leased.py the deliver jobs leased at intake.
"""
