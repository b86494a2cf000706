"""Loading Neptune Gremlin CSV folders: into Amazon Neptune (bulk loader) or a local Gremlin Server.

`loader.run.run_load` is the one entry point shared by the CLI (`lineage load`) and the Glue job.
"""
