"""The ``/platform/...`` API resources: one module per resource, each exporting its ``ROUTES``."""
