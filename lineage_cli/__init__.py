"""The `lineage` command line: the composition root that wires the core to its adapters."""
