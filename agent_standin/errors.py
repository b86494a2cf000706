"""Exception family of the stand-in agent; every error names the offending input."""


class StandinError(Exception):
    """Base error of the stand-in Spline agent."""


class ProducerUnavailableError(StandinError):
    """The producer's status probe failed, so lineage is off for the session (as in the agent)."""


class DispatchError(StandinError):
    """A plan or event POST was not accepted; the agent logs it and never retries."""


class HarvestError(StandinError):
    """A logical plan could not be turned into a Spline execution plan."""
