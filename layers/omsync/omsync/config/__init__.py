"""Settings (environment, validated at cold start) and the per-connection mapping models."""
