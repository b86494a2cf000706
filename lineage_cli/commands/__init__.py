"""One module per `lineage` subcommand; each exposes `register(app)`."""
