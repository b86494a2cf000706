"""A STAND-IN for the Spline Spark agent, written in Python on top of py4j.

The real agent (`za.co.absa.spline.agent.spark:spark-3.5-spline-agent-bundle_2.12`) cannot be
resolved on this project's build machine, so this package plays its part for tests, fixtures and
`make demo`: it registers a `QueryExecutionListener` on the Spark session, turns every write
command's logical plan into a Spline producer API v1.2 execution plan plus an execution event, and
sends both over HTTP exactly as the agent does. Where it differs from the real agent is listed in
`docs/standin-agent.md`. It depends only on pyspark/py4j and the standard library.
"""

from agent_standin.config import AGENT_NAME, AGENT_VERSION, AgentConfig
from agent_standin.errors import HarvestError, ProducerUnavailableError, StandinError
from agent_standin.listener import LineageTracking, enable_lineage_tracking

__all__ = [
    "AGENT_NAME",
    "AGENT_VERSION",
    "AgentConfig",
    "HarvestError",
    "LineageTracking",
    "ProducerUnavailableError",
    "StandinError",
    "enable_lineage_tracking",
]
