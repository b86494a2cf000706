"""`lineage bench`: a deterministic workload generator and the stage-by-stage benchmark."""
