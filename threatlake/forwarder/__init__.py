"""The AWS Lambda that forwards GuardDuty and Security Hub EventBridge events to a Threatlake ingest endpoint.

Standard library only (plus the boto3 that the Lambda runtime provides, for the secret and the dead-letter
queue); it imports nothing from the rest of Threatlake, so ``deploy/package_forwarder.py`` can ship this
directory alone. Modules:

- ``handler``    the Lambda entry point (``forwarder.handler.handler`` once packaged)
- ``envelope``   what arrives (an event, a list, an SQS batch, an on-failure record, a dead letter) → events
- ``sender``     delivery: chunking, retries with backoff, isolating what the endpoint rejects
- ``chunks``     events encoded, gzipped into request bodies, halved by events or by findings
- ``transport``  one HTTP POST that reads an early answer (401, 413 before the body is read)
- ``receipt``    what a 202 says: a genuine ingest answer, and which findings it rejected
- ``deadletter`` rejected events on the SQS dead-letter queue, with their reason
- ``secret``     the ingest token from a Secrets Manager JSON secret, cached with a TTL
- ``config``     the environment, read once into a frozen ``Config``
- ``errors``     the exception tree
- ``log``        structured JSON log lines on stdout
"""
