"""The embedded default: moto, the Ginee and Accurate sandboxes, the API front and the SQS emulator.

Not shipped in the Lambda layer.
"""
