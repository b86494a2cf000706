"""AWS Glue 5.0 / local PySpark jobs; `normalize` holds the nightly rebuild."""
