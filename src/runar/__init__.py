"""runar: run any training script, record everything, look at it live.

The names below form the in-script SDK; importing runar loads msgspec and the
standard library only.
"""

__version__ = "0.1.0"
