"""The team store: a runar store's ``runs/`` tree kept in an S3-compatible bucket.

A remote is a URL (``s3://bucket/prefix``); the bucket mirrors the store's layout, so
sealed segments, artifacts and code snapshots are immutable objects under
``runs/<run_id>/``, tombstones are ``deleted/<run_id>`` and a running run's open
segments are advisory ``runs/<run_id>/live/<writer>.<n>.jsonl`` objects; a saved file is
``blobs/<sha256>``, stored once however many runs saved it.

    url.py      remote URLs, and which arguments are remotes at all
    bucket.py   obstore client from the standard AWS environment; one-line errors
    layout.py   which keys a bucket may hold and where each lands in a store
    config.py   named remotes in the store's config file
    state.py    what this machine knows to be equal on both sides (saves GETs)
    push.py     store → bucket: create-only PUTs; conflicts kept aside, never overwritten
    pull.py     bucket → store: one listing, concurrent GETs, atomic writes
    live.py     the runner's background uploader (`runar SCRIPT --remote NAME`)
    artifacts.py  saved files once per content hash (blobs/<sha256>), placed by the log
    cache.py    read a remote through a local cache store (`runar ls --remote`)
    verify.py   `runar doctor --remote`: checksums, conflicts, orphans
    report.py   what a push or pull did (the folder sync's report, extended)

Nothing here is imported by ``import runar``; obstore loads on first use.
"""

from __future__ import annotations

from runar.remote.url import RemoteURL, is_remote_url, parse_url

__all__ = ["RemoteURL", "is_remote_url", "parse_url"]
