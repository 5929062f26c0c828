"""`runar SCRIPT ...`: launch a child, record its provenance, output and resource use."""
