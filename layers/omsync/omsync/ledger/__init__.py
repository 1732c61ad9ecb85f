"""DynamoDB repositories: connections, sync records, bindings, leases, cursors. The only boto3 user for data."""
