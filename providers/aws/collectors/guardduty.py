"""GuardDuty: where each detector of the region exports its findings (``ListDetectors``,
``ListPublishingDestinations``, ``DescribePublishingDestination``: ``DestinationProperties.DestinationArn``, the
bucket followed and located, and ``KmsKeyArn``), as ``aws_guardduty_publishing_destination``. Findings name the DWP
resources of the region they are about: a destination abroad is their diagnostics leaving.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "guardduty"
_CALL = "guardduty:DescribePublishingDestination"
_FIELDS = {"destination_arn": "DestinationProperties.DestinationArn",
           "kms_key_arn": "DestinationProperties.KmsKeyArn", "destination_type": "DestinationType"}


def _address(scope: Scope, detector: str, destination: str) -> str:
    return f"arn:aws:guardduty:{scope.region}:{scope.account}:detector/{detector}/publishingDestination/{destination}"


def fetch_detectors(work: Work) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("list_detectors", "DetectorIds")


def fetch_destinations(work: Work, detector: str) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("list_publishing_destinations", "Destinations", expect=("DestinationId",),
                                      DetectorId=detector)


def fetch_destination(work: Work, detector: str, destination: str) -> Response:
    return work.client(SERVICE).call("describe_publishing_destination", DetectorId=detector,
                                     DestinationId=destination)


def _unknown(scope: Scope, detector: str, failed: Failed, call: str) -> ResourceRecord:
    """A destination that could not be read: findings of the region may be exported anywhere (unknown)."""
    values = {"detector_id": detector if detector != "?" else failed.unknown("the region's GuardDuty detectors"),
              "destination_arn": failed.unknown("where GuardDuty exports the region's findings"),
              "destination_type": None, "kms_key_arn": None}
    return live_record(scope, "", "aws_guardduty_publishing_destination", values, call,
                       address=_address(scope, detector, "?"), stand_in=True)


def translate_destination(scope: Scope, detector: str, destination: str, answer: Response) -> ResourceRecord:
    """One publishing destination as ``aws_guardduty_publishing_destination``."""
    if isinstance(answer, Failed):
        record = _unknown(scope, detector, answer, _CALL)
        return live_record(scope, "", record.type, record.values, _CALL,
                           address=_address(scope, detector, destination))
    properties = (answer or {}).get("DestinationProperties") or {}
    values = {"detector_id": detector, "destination_arn": properties.get("DestinationArn"),
              "destination_type": (answer or {}).get("DestinationType"), "kms_key_arn": properties.get("KmsKeyArn")}
    return live_record(scope, "", "aws_guardduty_publishing_destination", values, _CALL,
                       address=_address(scope, detector, destination), fields=_FIELDS)


def collect(work: Work) -> list[ResourceRecord]:
    """GuardDuty in one (account, region): a failed listing is an unknown destination, never none."""
    detectors = fetch_detectors(work)
    if isinstance(detectors, Failed):
        return [_unknown(work.scope, "?", detectors, "guardduty:ListDetectors")]
    records = []
    for detector in detectors or []:
        if not isinstance(detector, str):
            continue
        destinations = fetch_destinations(work, detector)
        if isinstance(destinations, Failed):
            records.append(_unknown(work.scope, detector, destinations, "guardduty:ListPublishingDestinations"))
            continue
        for item in destinations or []:
            if isinstance(item, Mapping):
                name = str(item["DestinationId"])
                records.append(translate_destination(work.scope, detector, name,
                                                     fetch_destination(work, detector, name)))
    return records
