"""A contract-faithful Ginee OMS sandbox: state and rules (`models`), HTTP contract (`responses`),
the server (`server.GineeSandbox`), the webhook sender (`webhooks`) and its command (`cli`)."""
