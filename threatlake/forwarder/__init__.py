"""The AWS Lambda that forwards GuardDuty and Security Hub EventBridge events to a Threatlake ingest endpoint.

Standard library only (plus the boto3 that the Lambda runtime provides, for the secret); it imports nothing
from the rest of Threatlake, so ``deploy/package_forwarder.py`` can ship this directory alone. Modules:

- ``handler``  the Lambda entry point (``forwarder.handler.handler`` once packaged)
- ``envelope`` what arrives (one event, a list, an SQS batch, an on-failure record) → the raw events to send
- ``sender``   gzip, chunking, HTTP POST, retries with backoff; raises ``ForwardError`` when it gives up
- ``secret``   the ingest token from a Secrets Manager JSON secret, cached with a TTL
- ``config``   the environment, read once into a frozen ``Config``
- ``errors``   the exception tree
- ``log``      structured JSON log lines on stdout
"""
