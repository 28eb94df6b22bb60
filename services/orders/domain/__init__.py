"""The orders service's pure core: no I/O, no clock, no global randomness.

- ``status``, ``values``, ``order``: statuses, what an order holds, the ``Order`` aggregate;
- ``checks``: why a move's arguments are refused, whatever the status;
- ``offer_state``: where one dealer's offer of an order stands;
- ``facts``, ``rules``, ``scoring``, ``routing``: which dealer fulfils an order, and why;
- ``attribution``: which dealer an order's customer belongs to;
- ``pickup``: pickup codes, their hashes and the wrong-code lock;
- ``body``, ``intake``: the order body of ``POST /v1/orders`` and its checks;
- ``intake_record``: what the order's row keeps of its intake.
"""
