"""The boto3 edge: readers that pull existing findings from the AWS APIs, one module per service.

Each reader module (``guardduty``, ``securityhub``) is same-shaped: functions that take a boto3 client (made
by ``client.connect``, or any object with the same methods) and yield pages of findings as JSON documents,
ready for the mapping pipeline. Every AWS failure is raised as ``AwsError``, naming the API and the region.
``setup`` writes the AWS commands that deploy the forwarder for a connection.
"""

from __future__ import annotations

from threatlake.aws.client import AwsError, UnavailableApiError, connect, resolve_regions

__all__ = ["AwsError", "UnavailableApiError", "connect", "resolve_regions"]
