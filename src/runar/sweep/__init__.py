"""`runar sweep`: many runs of one script, here in parallel or as Ray tasks on a cluster.

    space.py        one value → the values it sweeps (lists, ranges, spacings, distributions)
    plan.py         the script's arguments → points (grid or random), each a full argv
    sweep_file.py   a TOML/YAML/JSON sweep file → the same arguments
    record.py       the sweep's own record under runs/<sweep_id>/ (source "sweep"), folded back
    driver.py       launch, watch, stop (Ctrl-C: SIGINT → SIGTERM → SIGKILL), record each point
    local.py        points as child runners on this machine, one per GPU when there are GPUs
    ray_executor.py points as Ray tasks
    progress.py     the live status line, the best so far
    stopping.py     --stop rules
    session.py      one `runar sweep` (or --resume) from start to finish
    overview.py     `runar sweep ls/show` and the web API as plain records

Each point is a normal run started by the runner (`python -m runar -n NAME-i -t
sweep:NAME SCRIPT ARGS`), told its sweep through RUNAR_SWEEP* variables.
"""
