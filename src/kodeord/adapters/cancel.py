"""`raise_if_cancelling` for the adapters' long-running loops; it lives in app/cancel.py
(the worker and housekeeping loops need it too, and the app imports no adapter)."""

from kodeord.app.cancel import raise_if_cancelling

__all__ = ["raise_if_cancelling"]
