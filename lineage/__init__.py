"""Domain core, pure Python: shared by the producer, the normalize job, loaders and read API."""
