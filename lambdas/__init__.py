"""AWS Lambda adapters: the Spline producer API and the read API."""
