"""The durable job queue (`JobQueue`) on the `jobs` table, for SQLite and PostgreSQL."""

from kodeord.adapters.queue.jobs import Job, JobQueue, NewJob
from kodeord.adapters.queue.schema import JobStatus

__all__ = ["Job", "JobQueue", "JobStatus", "NewJob"]
