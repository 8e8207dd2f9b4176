"""Sessions: the standard credential chain, assumed roles, and the read-only guard on every one of them.

The guard is a botocore ``before-call`` handler, so a write is refused before any request is signed or
sent. botocore event hooks are per session and are not inherited by a session built from assumed-role
credentials, so every session offshore-scan makes goes through ``guarded``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from providers.aws import answers
from providers.live.answers import DEFAULT_TIMEOUT, DamagedAnswer, DeadlinePassed
from providers.live.errors import CredentialsError, WriteRefused

if TYPE_CHECKING:
    import boto3

READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Search", "BatchGet")
"""Operation name prefixes that only read."""
ALLOWED_OTHERS = frozenset({("sts", "AssumeRole")})
"""The one operation that is not a read but is needed: entering member accounts."""
HOME_REGION = "us-east-1"
"""Where global services (IAM, Organizations, CloudFront, S3 bucket lookups) are called when no region is set."""


def is_read_only(service: str, operation: str) -> bool:
    """Whether offshore-scan may call ``service:operation``."""
    return operation.startswith(READ_ONLY_PREFIXES) or (service, operation) in ALLOWED_OTHERS


def refuse_writes(model: Any, **_: Any) -> None:
    """botocore ``before-call.*.*`` handler: raise for every operation that is not a read."""
    service = model.service_model.service_name
    if not is_read_only(service, model.name):
        raise WriteRefused(f"offshore-scan is read-only: refused {service}:{model.name} before sending it")


def guarded(session: boto3.Session) -> boto3.Session:
    """The session with the read-only guard, the answer check and the deadline registered (clients copy the
    hooks when they are made)."""
    session.events.register("before-call.*.*", refuse_writes, unique_id="offshore-scan-read-only")
    answers.register(session.events)
    return session


DEFAULT_ATTEMPTS = 3
"""Attempts per call (the first and its retries) when neither AWS_MAX_ATTEMPTS nor the profile says."""


def client_config(timeout: float = DEFAULT_TIMEOUT, attempts: int = DEFAULT_ATTEMPTS) -> Any:
    """Adaptive retries (client-side rate limiting on throttling), ``attempts`` in all; each attempt's connection
    and read bounded by ``timeout``, which ``answers.refuse_late_retry`` also holds the whole call to."""
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "total_max_attempts": attempts}, connect_timeout=timeout,
                  read_timeout=timeout, user_agent_extra="offshore-scan", max_pool_connections=32)


def attempts_of(session: boto3.Session) -> int:
    """Attempts per call from the standard AWS settings (``AWS_MAX_ATTEMPTS``, the profile's ``max_attempts``),
    which ``environment.check`` has found usable."""
    found = session._session.get_config_variable("max_attempts")
    return int(found) if found else DEFAULT_ATTEMPTS


def base_session(profile: str | None) -> boto3.Session:
    """A guarded session from the standard credential chain (``AWS_ENDPOINT_URL`` is honoured by botocore);
    ``ConfigurationError`` when the SDK's environment or config files cannot be used."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    from providers.aws import environment

    environment.check(profile)
    try:
        return guarded(boto3.Session(profile_name=profile))
    except ProfileNotFound as error:
        raise CredentialsError(str(error)) from None


def caller_account(session: boto3.Session, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The account the credentials belong to; ``CredentialsError`` (one line) when they cannot be used."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )
    from botocore.parsers import ResponseParserError

    region = session.region_name or HOME_REGION
    try:
        config = client_config(timeout, attempts_of(session))
        identity = session.client("sts", region_name=region, config=config).get_caller_identity()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        if str(code).isdigit():
            raise CredentialsError(f"HTTP {code} from the STS endpoint (not an AWS API answer): check AWS_ENDPOINT_URL "
                                   "or the proxy, and try again") from None
        raise CredentialsError(f"AWS refused the credentials ({code}): refresh them (aws sso login, or new keys) "
                               "and try again") from None
    except (ConnectionError, HTTPClientError) as error:
        # Not a credentials problem: nothing answered (a closed port, DNS, a proxy).
        raise CredentialsError(f"cannot connect to the AWS endpoint: {error}") from None
    except DeadlinePassed as error:
        raise CredentialsError(f"the STS endpoint did not answer: {error}") from None
    except (ResponseParserError, DamagedAnswer):
        raise CredentialsError("the STS endpoint's answer is not an AWS API answer: check AWS_ENDPOINT_URL or the "
                               "proxy, and try again") from None
    except NoCredentialsError:
        raise CredentialsError("no usable AWS credentials (tried boto3's chain: the AWS_* environment variables, "
                               "--profile or AWS_PROFILE, ~/.aws/credentials and ~/.aws/config, SSO, container and "
                               "instance metadata): run `aws configure` or `aws sso login`, or set AWS_ACCESS_KEY_ID "
                               "and AWS_SECRET_ACCESS_KEY") from None
    except (PartialCredentialsError, BotoCoreError) as error:
        raise CredentialsError(f"no usable AWS credentials: {error}") from None
    return str(identity["Account"])


def assume(session: boto3.Session, account: str, role_name: str, timeout: float = DEFAULT_TIMEOUT) -> boto3.Session:
    """A guarded session in ``account`` through ``role_name``; botocore errors propagate to the caller."""
    import boto3

    region = session.region_name or HOME_REGION
    sts = session.client("sts", region_name=region, config=client_config(timeout, attempts_of(session)))
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role_name}",
                             RoleSessionName="offshore-scan")["Credentials"]
    return guarded(boto3.Session(aws_access_key_id=answer["AccessKeyId"],
                                 aws_secret_access_key=answer["SecretAccessKey"],
                                 aws_session_token=answer["SessionToken"], region_name=region,
                                 botocore_session=_sharing_models(session)))


def _sharing_models(session: boto3.Session) -> Any:
    """A fresh botocore session (its own credentials and event hooks) that shares ``session``'s data loader: each
    new session would otherwise parse every service model again (EC2's alone is megabytes of JSON), once per
    member account of an organisation."""
    import botocore.session

    fresh = botocore.session.get_session()
    fresh.register_component("data_loader", session._session.get_component("data_loader"))
    return fresh
