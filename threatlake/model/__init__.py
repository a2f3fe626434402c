"""What an event is: field names and types, risk levels, severity normalization. Imports nothing else."""

from threatlake.model.event import (
    DEFAULT_BUCKET,
    DELIVERY_FIELDS,
    EVENT_KIND,
    Event,
    EventType,
    Provider,
    event_id,
    format_timestamp,
    in_time_range,
    normalize_time,
    parse_timestamp,
)
from threatlake.model.fields import FIELDS, Field, FieldType
from threatlake.model.objects import account_object_id, object_id
from threatlake.model.risk import (
    LEVEL_SCORE,
    RiskLevel,
    asff_level,
    generic_level,
    guardduty_level,
    ocsf_level,
)

__all__ = [
    "DEFAULT_BUCKET",
    "DELIVERY_FIELDS",
    "EVENT_KIND",
    "FIELDS",
    "LEVEL_SCORE",
    "Event",
    "EventType",
    "Field",
    "FieldType",
    "Provider",
    "RiskLevel",
    "account_object_id",
    "asff_level",
    "event_id",
    "format_timestamp",
    "generic_level",
    "guardduty_level",
    "in_time_range",
    "normalize_time",
    "object_id",
    "ocsf_level",
    "parse_timestamp",
]
