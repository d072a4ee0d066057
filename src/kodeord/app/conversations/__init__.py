"""A customer's conversations: its messages with one phone on one number, as threads."""
