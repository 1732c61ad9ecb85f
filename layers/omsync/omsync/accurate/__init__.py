"""Accurate Online: the client (auth, session, host, envelope, errors, governor) and document models."""
