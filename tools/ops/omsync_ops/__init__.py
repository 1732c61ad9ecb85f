"""The operator CLI (`omsync`). Not shipped in the Lambda layer."""
