"""Upstream formats and their mappers: one module per format, one registry.

Adding a format touches one module, one line of ``SOURCES`` and one golden fixture. ``detect`` order matters
only for bare findings (an envelope names its source): the first source that recognises a finding maps it.
"""

from __future__ import annotations

from threatlake.sources import custom, guardduty, securityhub, securityhub_ocsf
from threatlake.sources.source import Finding, Source

__all__ = ["SOURCES", "Finding", "Source", "source_for"]

SOURCES: dict[str, Source] = {
    source.name: source
    for source in (guardduty.SOURCE, securityhub.SOURCE, securityhub_ocsf.SOURCE, custom.SOURCE)
}


def source_for(finding: Finding) -> Source:
    """The source that maps ``finding``: the one its envelope names, else the first that recognises it."""
    if finding.source is not None:
        return SOURCES[finding.source]
    for source in SOURCES.values():
        if source.detect(finding.raw):
            return source
    return SOURCES["custom"]
