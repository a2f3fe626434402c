"""Small workflows the command-line and service tests share, in the platform's YAML."""

from __future__ import annotations

__all__ = ["COUNT", "COUNT_AND_NOTIFY", "ON_EVENT", "SCHEDULED"]

#: One task: how many events the store holds (``result('count').records[0].n``).
COUNT = """\
title: Count
tasks:
  count:
    action: dynatrace.automations:execute-dql-query
    input:
      query: fetch security.events, from:-36500d | summarize n = count()
"""

#: ``COUNT`` then a Slack message through the credential ``chat-old``.
COUNT_AND_NOTIFY = (
    COUNT
    + """\
  notify:
    action: dynatrace.slack:slack-send-message
    predecessors: [count]
    input:
      connection: chat-old
      channel: "#sec"
      message: "{{ result('count').records[0].n }} findings"
trigger: {}
"""
)

#: ``COUNT`` every minute.
SCHEDULED = (
    COUNT
    + """\
trigger:
  schedule:
    isActive: true
    trigger: {type: interval, intervalMinutes: 1}
    timezone: UTC
"""
)

#: Each new detection finding: its own record, looked up by its id.
ON_EVENT = """\
title: On detection
tasks:
  look:
    action: dynatrace.automations:execute-dql-query
    input:
      query: >-
        fetch security.events, from:-36500d
        | filter event.id == "{{ event()["event.id"] }}" | fields event.id
trigger:
  eventTrigger:
    isActive: true
    filterQuery: event.type == "DETECTION_FINDING"
    triggerConfiguration:
      type: event
      value: {eventType: security.events, query: event.type == "DETECTION_FINDING"}
"""
