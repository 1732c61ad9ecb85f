"""Ginee OMS: the signed Open API client, its models, and the webhook envelope."""
