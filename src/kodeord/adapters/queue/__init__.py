"""The durable job queue (`JobQueue`) on the `jobs` table, for SQLite and PostgreSQL."""

from kodeord.adapters.queue.jobs import JobQueue
from kodeord.app.jobs import Job, JobStatus, NewJob

__all__ = ["Job", "JobQueue", "JobStatus", "NewJob"]
