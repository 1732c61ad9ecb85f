"""DynamoDB repositories: connections, sync records, bindings, leases, cursors. The only boto3 user for data.

`omsync.ledger.tables` creates the (lazy) boto3 handles; each repository module owns one kind of record.
"""

from omsync.ledger.connections import Connection, ConnectionRepository, ConnectionStatus, hash_token
from omsync.ledger.tables import dynamodb, ledger_table

__all__ = ["Connection", "ConnectionRepository", "ConnectionStatus", "dynamodb", "hash_token", "ledger_table"]
