"""The dashboard's figures: what a customer (or the provider) has and what happened today."""
