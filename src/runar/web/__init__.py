"""`runar serve`: a read-only web dashboard, REST API and event stream over the views.

Loaded only by the serve command; training-side code never imports it. ``app.py``
builds the Starlette app, ``api.py`` answers the endpoints, ``stream.py`` follows the
store and fans deltas out over Server-Sent Events, ``security.py`` guards every request.
With ``--write``, ``write.py`` (the frame: token, limits, idempotency), ``write_runs.py`` and
``write_artifacts.py`` take writes into the journal; ``tokens.py`` keeps the API tokens.
"""
