"""Detection fields of an ASFF finding (model.md §5): who acted, from where, over which connection.

Remote IPs come from ``Network`` and every ``Action.*.RemoteIpDetails`` (the shapes GuardDuty writes into
ASFF). Findings imported before Security Hub had the ``Action`` block (2019 GuardDuty findings) carry the same
data only as flattened ProductFields (``action/awsApiCallAction/remoteIpDetails/ipAddressV4``); those are read
when there is no ``Action``.
"""

from __future__ import annotations

from typing import Any

from threatlake.model import Event
from threatlake.sources.reader import integer, obj, objs, text, texts

__all__ = ["asff_detection", "threat_purpose", "threat_type"]

_DIRECTIONS = {"IN": "INBOUND", "OUT": "OUTBOUND", "INBOUND": "INBOUND", "OUTBOUND": "OUTBOUND"}
# Actions whose RemoteIpDetails names the remote party (DnsRequestAction has none in ASFF today; kept so a
# future field is not missed).
_REMOTE_ACTIONS = ("NetworkConnectionAction", "AwsApiCallAction", "DnsRequestAction")
_PF_IP = "remoteIpDetails/ipAddressV4"
_PF_COUNTRY = "remoteIpDetails/country/countryName"


def threat_type(types: list[str]) -> str | None:
    """The first GuardDuty-style type, ``Purpose:Resource/Name``, found as the last segment of a type.

    GuardDuty writes its type into ASFF as ``TTPs/Discovery/Recon:IAMUser-ResourcePermissions`` and into OCSF
    as ``Stealth:IAMUser/CloudTrailLoggingDisabled``; both carry the threat purpose before the ``:``. In ASFF
    the last path segment holds it, so ``Recon:IAMUser-ResourcePermissions`` is returned; in OCSF the whole
    entry is the GuardDuty type.
    """
    for entry in types:
        head, colon, _ = entry.partition(":")
        start = head.rfind("/") + 1
        if colon and start < len(head) and " " not in head[start:]:
            return entry[start:]
    return None


def threat_purpose(kind: str | None) -> str | None:
    """``Recon`` from ``Recon:IAMUser-ResourcePermissions`` (model.md §5: the part before ``:``)."""
    return kind.partition(":")[0] if kind else None


def asff_detection(raw: dict[str, Any]) -> Event:
    """The detection fields of an ASFF finding."""
    types = texts(raw, "Types")
    ips: list[str] = []
    country: str | None = None
    direction = port = protocol = None
    network = obj(raw, "Network")
    if network is not None:
        direction = _DIRECTIONS.get(text(network, "Direction", "Network") or "")
        # For outbound traffic the source is our own resource and the destination the remote party.
        suffix = "Destination" if direction == "OUTBOUND" else "Source"
        for key in (f"{suffix}IpV4", f"{suffix}IpV6"):
            _add(ips, text(network, key, "Network"))
        port = integer(network, "DestinationPort", "Network")
        protocol = text(network, "Protocol", "Network")
    action = obj(raw, "Action")
    if action is not None:
        for key in _REMOTE_ACTIONS:
            where = f"Action.{key}"
            detail = obj(action, key, "Action")
            if detail is None:
                continue
            found = _remote(detail, where, ips)
            country = country or found
            if key == "NetworkConnectionAction":
                direction = direction or _DIRECTIONS.get(text(detail, "ConnectionDirection", where) or "")
                protocol = protocol or text(detail, "Protocol", where)
                local = "RemotePortDetails" if direction == "OUTBOUND" else "LocalPortDetails"
                port = port or _port(detail, local, where)
        probe = obj(action, "PortProbeAction", "Action")
        if probe is not None:
            for index, item in enumerate(objs(probe, "PortProbeDetails", "Action.PortProbeAction")):
                where = f"Action.PortProbeAction.PortProbeDetails[{index}]"
                found = _remote(item, where, ips)
                country = country or found
                port = port or _port(item, "LocalPortDetails", where)
    else:
        country = _from_product_fields(raw, ips)
    kind = threat_type(types)
    return {
        "detection.type": types[0] if types else None,
        "actor.ips": ips,
        "actor.geo.country.name": country,
        "threat.purpose": threat_purpose(kind),
        "network.direction": direction,
        "network.port": port,
        "network.protocol": protocol,
    }


def _add(ips: list[str], ip: str | None) -> None:
    if ip and ip not in ips:
        ips.append(ip)


def _remote(detail: dict[str, Any], where: str, ips: list[str]) -> str | None:
    """Adds the remote IP of an action part to ``ips``; returns its country name."""
    remote = obj(detail, "RemoteIpDetails", where)
    if remote is None:
        return None
    where = f"{where}.RemoteIpDetails"
    _add(ips, text(remote, "IpAddressV4", where))
    _add(ips, text(remote, "IpAddressV6", where))
    country = obj(remote, "Country", where)
    return text(country, "CountryName", f"{where}.Country") if country else None


def _port(detail: dict[str, Any], key: str, where: str) -> int | None:
    ports = obj(detail, key, where)
    return integer(ports, "Port", f"{where}.{key}") if ports else None


def _from_product_fields(raw: dict[str, Any], ips: list[str]) -> str | None:
    product_fields = obj(raw, "ProductFields")
    if not product_fields:
        return None
    country = None
    for key in product_fields:
        if key.endswith(_PF_IP):
            _add(ips, text(product_fields, key, "ProductFields"))
        elif key.endswith(_PF_COUNTRY) and country is None:
            country = text(product_fields, key, "ProductFields")
    return country
