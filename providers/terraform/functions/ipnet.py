"""IP network functions: ``cidrhost``, ``cidrnetmask``, ``cidrsubnet``, ``cidrsubnets``."""

from __future__ import annotations

import ipaddress

from providers.terraform.functions.errors import FunctionError


def _network(prefix: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(prefix, strict=False)
    except ValueError as error:
        raise FunctionError(f"{prefix!r} is not a CIDR prefix: {error}") from None


def cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    """``cidrsubnet``: the ``netnum``-th subnet with ``newbits`` more prefix bits."""
    network = _network(prefix)
    length = network.prefixlen + int(newbits)
    if length > network.max_prefixlen or not 0 <= netnum < 2 ** int(newbits):
        raise FunctionError(f"cidrsubnet({prefix!r}, {newbits}, {netnum}) is out of range")
    size = 2 ** (network.max_prefixlen - length)
    start = int(network.network_address) + int(netnum) * size
    return f"{ipaddress.ip_address(start)}/{length}"


def cidrsubnets(prefix: str, *newbits: int) -> list[str]:
    """``cidrsubnets``: consecutive subnets of the given sizes, each aligned to its own size."""
    network = _network(prefix)
    result = []
    cursor = int(network.network_address)
    end = int(network.broadcast_address)
    for bits in newbits:
        length = network.prefixlen + int(bits)
        if length > network.max_prefixlen:
            raise FunctionError(f"cidrsubnets(): /{length} is too long")
        size = 2 ** (network.max_prefixlen - length)
        cursor = -(-cursor // size) * size  # align up
        if cursor + size - 1 > end:
            raise FunctionError("cidrsubnets(): not enough address space")
        result.append(f"{ipaddress.ip_address(cursor)}/{length}")
        cursor += size
    return result


def cidrhost(prefix: str, hostnum: int) -> str:
    """``cidrhost``: a negative host number counts from the end."""
    network = _network(prefix)
    number = int(hostnum) if hostnum >= 0 else network.num_addresses + int(hostnum)
    if not 0 <= number < network.num_addresses:
        raise FunctionError(f"cidrhost({prefix!r}, {hostnum}) is out of range")
    return str(network.network_address + number)


def cidrnetmask(prefix: str) -> str:
    """``cidrnetmask``: IPv4 only."""
    network = _network(prefix)
    if network.version != 4:
        raise FunctionError("cidrnetmask() takes an IPv4 prefix")
    return str(network.netmask)


FUNCTIONS = {"cidrhost": cidrhost, "cidrnetmask": cidrnetmask, "cidrsubnet": cidrsubnet, "cidrsubnets": cidrsubnets}
"""IP network functions by name."""
