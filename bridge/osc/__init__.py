"""OSC: the address space and its handlers over UDP sockets.

The protocol, pure (no sockets, no library): ``protocol`` (request addresses, packets to requests),
``decode`` (reading OSC packets), ``wire`` (encoding replies). What requests do: ``handlers`` (the
dispatch table, kits included), ``prefs`` (each client's preferences), ``settings_keys`` (``/soundalike/set``),
``path_policy`` (which files a client may name), ``push`` (engine events to subscribers),
``client_state`` (preferences and subscriptions kept across restarts). The transport: ``server``
(receive and serve threads), ``sockets``, ``fair_queue``, ``drops``, ``access``, ``counters``.
``client`` is the small blocking client of the ``soundalike osc`` command, the tests and the bench.
Importing the package loads none of them.
"""
