"""Accounts: customers, API keys, principals and the audit log."""
