"""GuardDuty actions → actor and network fields (model.md §5), as a table keyed by the action's member name.

``actor.ips`` lists every remote IP the finding names, in the order the finding names them, without
duplicates: API-call, network-connection, port-probe (every probe), Kubernetes API (the remote IP and every
source IP), RDS login, and the endpoints of an attack sequence. ``actor.geo.country.name`` is the country of
the first remote IP that has one. ``network.port`` is the port of the service side: the local port of an
inbound connection or probe, the remote port of an outbound one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threatlake.sources.reader import entries, integer, obj, text, texts

__all__ = ["ACTIONS", "actor_fields"]

Fields = dict[str, Any]
_COUNTRY = "actor.geo.country.name"


def _remote(action: dict[str, Any], where: str, ips: list[str], out: Fields) -> None:
    details = obj(action, "remoteIpDetails", where)
    if details is None:
        return
    where += ".remoteIpDetails"
    ipv4 = text(details, "ipAddressV4", where)
    if ipv4:
        ips.append(ipv4)
    ipv6 = text(details, "ipAddressV6", where)
    if ipv6:
        ips.append(ipv6)
    if out[_COUNTRY] is None:
        country = obj(details, "country", where)
        if country is not None:
            out[_COUNTRY] = text(country, "countryName", f"{where}.country")


def _port(action: dict[str, Any], key: str, where: str) -> int | None:
    details = obj(action, key, where)
    return integer(details, "port", f"{where}.{key}") if details is not None else None


def _api_call(action: dict[str, Any], where: str, ips: list[str], out: Fields) -> None:
    _remote(action, where, ips, out)


def _network_connection(action: dict[str, Any], where: str, ips: list[str], out: Fields) -> None:
    _remote(action, where, ips, out)
    direction = text(action, "connectionDirection", where)
    out["network.direction"] = direction
    out["network.protocol"] = text(action, "protocol", where)
    first, second = (
        ("localPortDetails", "remotePortDetails")
        if direction == "INBOUND"
        else ("remotePortDetails", "localPortDetails")
    )
    port = _port(action, first, where)
    out["network.port"] = port if port is not None else _port(action, second, where)


def _port_probe(action: dict[str, Any], where: str, ips: list[str], out: Fields) -> None:
    out["network.direction"] = "INBOUND"  # a probe is inbound by definition
    for index, probe in entries(action, "portProbeDetails", where):
        at = f"{where}.portProbeDetails[{index}]"
        _remote(probe, at, ips, out)
        if out["network.port"] is None:
            out["network.port"] = _port(probe, "localPortDetails", at)


def _dns_request(action: dict[str, Any], where: str, ips: list[str], out: Fields) -> None:
    out["network.protocol"] = text(action, "protocol", where)


def _kubernetes_api_call(action: dict[str, Any], where: str, ips: list[str], out: Fields) -> None:
    _remote(action, where, ips, out)
    ips.extend(texts(action, "sourceIPs", where))


ACTIONS: dict[str, Callable[[dict[str, Any], str, list[str], Fields], None]] = {
    "awsApiCallAction": _api_call,
    "networkConnectionAction": _network_connection,
    "portProbeAction": _port_probe,
    "dnsRequestAction": _dns_request,
    "kubernetesApiCallAction": _kubernetes_api_call,
    "rdsLoginAttemptAction": _api_call,
}
_WHERE = {key: f"service.action.{key}" for key in ACTIONS}


def _sequence_endpoints(service: dict[str, Any], ips: list[str], out: Fields) -> None:
    detection = obj(service, "detection", "service")
    sequence = obj(detection, "sequence", "service.detection") if detection else None
    if sequence is None:
        return
    for index, endpoint in entries(sequence, "endpoints", "service.detection.sequence"):
        where = f"service.detection.sequence.endpoints[{index}]"
        ip = text(endpoint, "ip", where)
        if ip:
            ips.append(ip)
        if out[_COUNTRY] is None:
            location = obj(endpoint, "location", where)
            if location is not None:
                out[_COUNTRY] = text(location, "country", f"{where}.location")


def actor_fields(service: dict[str, Any], event: Fields) -> None:
    """Set the actor and network fields of a finding's ``service`` block on ``event``."""
    event["actor.ips"] = None
    event[_COUNTRY] = None
    event["network.direction"] = None
    event["network.port"] = None
    event["network.protocol"] = None
    ips: list[str] = []
    action = obj(service, "action", "service")
    if action:
        # actionType names the member that is set; reading every member we know is as cheap and as exact.
        for key in action:
            read = ACTIONS.get(key)
            if read is not None:
                member = obj(action, key, "service.action")
                if member:
                    read(member, _WHERE[key], ips, event)
    if "detection" in service:
        _sequence_endpoints(service, ips, event)
    if ips:
        event["actor.ips"] = list(dict.fromkeys(ips))
