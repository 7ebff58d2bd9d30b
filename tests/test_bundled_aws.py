"""The bundled AWS schemas on their sample logs: every line's exact event, reject or skip.

``AWS.VPCFlow`` is a space-delimited CSV schema whose files start with a header line (skipped, spec
f.2, per file, spec l.10); ``AWS.CloudTrail`` reads one JSON record per line (spec b.2, f.3). The rows
below give, for every sample line in order, the event it must become (all fields in output order,
``p_event_time`` and the ``p_any_*`` lists included; ``p_row_id`` and ``p_parse_time`` vary per run and
are left out), the reject it must give, or the kind it is skipped as.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine import Normalizer

from .conftest import normalizers_for, read_sample
from .samples import Rejected, Skipped, check_sample_line

AWS = Path(__file__).resolve().parents[1] / "schemas" / "AWS"
ACCOUNT = "123456789012"
KMS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GITHUB_OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GITHUB_SUBJECT = "repo:acme/infra:ref:refs/heads/main"


Row = tuple[int, str, dict[str, Any] | Rejected | Skipped]

VPC_FLOW: list[Row] = [
    (1, "header-line", Skipped("header")),
    (
        2,
        "egress-https-accepted",
        {
            "version": 2,
            "account": ACCOUNT,
            "interfaceId": "eni-0a1b2c3d4e5f60718",
            "srcAddr": "10.0.1.25",
            "dstAddr": "198.51.100.7",
            "srcPort": 49152,
            "dstPort": 443,
            "protocol": 6,
            "packets": 25,
            "bytes": 18232,
            "start": "2024-03-15 10:00:00.000000000",
            "end": "2024-03-15 10:01:00.000000000",
            "action": "ACCEPT",
            "status": "OK",
            "p_event_time": "2024-03-15 10:00:00.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_ip_addresses": ("10.0.1.25", "198.51.100.7"),
        },
    ),
    (
        3,
        "inbound-ssh-rejected",
        {
            "version": 2,
            "account": ACCOUNT,
            "interfaceId": "eni-0a1b2c3d4e5f60718",
            "srcAddr": "203.0.113.45",
            "dstAddr": "10.0.1.25",
            "srcPort": 51234,
            "dstPort": 22,
            "protocol": 6,
            "packets": 3,
            "bytes": 180,
            "start": "2024-03-15 10:00:05.000000000",
            "end": "2024-03-15 10:01:00.000000000",
            "action": "REJECT",
            "status": "OK",
            "p_event_time": "2024-03-15 10:00:05.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_ip_addresses": ("10.0.1.25", "203.0.113.45"),
        },
    ),
    (
        4,
        "bytes-beyond-int32",
        {
            "version": 2,
            "account": ACCOUNT,
            "interfaceId": "eni-0a1b2c3d4e5f60718",
            "srcAddr": "10.0.1.25",
            "dstAddr": "10.0.2.14",
            "srcPort": 38210,
            "dstPort": 5432,
            "protocol": 6,
            "packets": 2400000,
            "bytes": 3221225472,
            "start": "2024-03-15 10:00:00.000000000",
            "end": "2024-03-15 10:00:59.000000000",
            "action": "ACCEPT",
            "status": "OK",
            "p_event_time": "2024-03-15 10:00:00.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_ip_addresses": ("10.0.1.25", "10.0.2.14"),
        },
    ),
    (
        5,
        "ipv6",
        {
            "version": 2,
            "account": ACCOUNT,
            "interfaceId": "eni-0f9e8d7c6b5a49382",
            "srcAddr": "2001:db8:1234:a100:8d6e:3477:df66:f105",
            "dstAddr": "2001:db8:1234:a102:3304:8879:34cf:4071",
            "srcPort": 34892,
            "dstPort": 22,
            "protocol": 6,
            "packets": 54,
            "bytes": 8855,
            "start": "2024-03-15 10:00:10.000000000",
            "end": "2024-03-15 10:01:10.000000000",
            "action": "ACCEPT",
            "status": "OK",
            "p_event_time": "2024-03-15 10:00:10.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_ip_addresses": (
                "2001:db8:1234:a100:8d6e:3477:df66:f105",
                "2001:db8:1234:a102:3304:8879:34cf:4071",
            ),
        },
    ),
    (
        6,
        "icmp-ports-zero",
        {
            "version": 2,
            "account": ACCOUNT,
            "interfaceId": "eni-0a1b2c3d4e5f60718",
            "srcAddr": "198.51.100.23",
            "dstAddr": "10.0.1.25",
            "srcPort": 0,
            "dstPort": 0,
            "protocol": 1,
            "packets": 4,
            "bytes": 336,
            "start": "2024-03-15 10:00:12.000000000",
            "end": "2024-03-15 10:01:11.000000000",
            "action": "ACCEPT",
            "status": "OK",
            "p_event_time": "2024-03-15 10:00:12.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_ip_addresses": ("10.0.1.25", "198.51.100.23"),
        },
    ),
    (
        7,
        "nodata-dashes-absent",
        {
            "version": 2,
            "account": ACCOUNT,
            "interfaceId": "eni-0f9e8d7c6b5a49382",
            "start": "2024-03-15 10:00:00.000000000",
            "end": "2024-03-15 10:01:00.000000000",
            "status": "NODATA",
            "p_event_time": "2024-03-15 10:00:00.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
        },
    ),
    (
        8,
        "skipdata-dashes-absent",
        {
            "version": 2,
            "account": ACCOUNT,
            "interfaceId": "eni-0c4d5e6f7a8b9c0d1",
            "start": "2024-03-15 10:00:00.000000000",
            "end": "2024-03-15 10:01:00.000000000",
            "status": "SKIPDATA",
            "p_event_time": "2024-03-15 10:00:00.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
        },
    ),
    (
        9,
        "truncated-row",
        Rejected("no_match", None, "no match: the row has 9 columns, the schema expects 14"),
    ),
    (
        10,
        "action-not-allowed",
        Rejected(
            "validation_failed",
            "action",
            "field 'action' 'ALLOW' fails its 'allow' rule: not one of the allowed values",
        ),
    ),
    (
        11,
        "iso-start-time",
        Rejected(
            "bad_value",
            "start",
            "field 'start': '2024-03-15T10:00:00Z' is not a valid timestamp (unix) (not a decimal number)",
        ),
    ),
]

CLOUD_TRAIL: list[Row] = [
    (
        1,
        "console-login-mfa",
        {
            "additionalEventData": {
                "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                "MobileVersion": "No",
                "MFAIdentifier": f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone",
                "MFAUsed": "Yes",
            },
            "awsRegion": "us-east-1",
            "eventCategory": "Management",
            "eventID": "3fcfb586-5f7c-4b4f-9c3a-2c7d1a6e0f11",
            "eventName": "ConsoleLogin",
            "eventSource": "signin.amazonaws.com",
            "eventTime": "2024-03-15 09:58:02.000000000",
            "eventType": "AwsConsoleSignIn",
            "eventVersion": "1.09",
            "managementEvent": True,
            "readOnly": False,
            "recipientAccountId": ACCOUNT,
            "responseElements": {"ConsoleLogin": "Success"},
            "sourceIPAddress": "198.51.100.24",
            "tlsDetails": {
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": "signin.aws.amazon.com",
            },
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.3 Safari/605.1.15",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDACKCEVSQ6C2EXAMPLE",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                "accountId": ACCOUNT,
                "userName": "alice",
            },
            "p_event_time": "2024-03-15 09:58:02.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_aws_arns": (f"arn:aws:iam::{ACCOUNT}:user/alice",),
            "p_any_domain_names": ("signin.aws.amazon.com",),
            "p_any_ip_addresses": ("198.51.100.24",),
            "p_any_usernames": ("alice",),
        },
    ),
    (
        2,
        "assume-role-cross-account-session-context",
        {
            "awsRegion": "us-east-1",
            "eventCategory": "Management",
            "eventID": "0d9c2b7e-3f1a-4c8e-a5b6-7d8e9f0a1b2c",
            "eventName": "AssumeRole",
            "eventSource": "sts.amazonaws.com",
            "eventTime": "2024-03-15 10:00:00.512000000",
            "eventType": "AwsApiCall",
            "eventVersion": "1.08",
            "managementEvent": True,
            "readOnly": True,
            "recipientAccountId": ACCOUNT,
            "requestID": "8b4e1f3a-7c55-4f4e-9c0d-1b2a3c4d5e6f",
            "requestParameters": {
                "roleArn": "arn:aws:iam::210987654321:role/deploy",
                "roleSessionName": "ci-runner",
                "durationSeconds": 900,
                "sourceIdentity": "build-4711",
            },
            "resources": [
                {
                    "ARN": "arn:aws:iam::210987654321:role/deploy",
                    "accountId": "210987654321",
                    "type": "AWS::IAM::Role",
                }
            ],
            "responseElements": {
                "credentials": {
                    "accessKeyId": "ASIAEXAMPLEKEY000002",
                    "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                    "expiration": "Mar 15, 2024, 10:15:00 AM",
                },
                "assumedRoleUser": {
                    "assumedRoleId": "AROAEXAMPLEID7654321:ci-runner",
                    "arn": "arn:aws:sts::210987654321:assumed-role/deploy/ci-runner",
                },
                "sourceIdentity": "build-4711",
            },
            "sharedEventID": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
            "sourceIPAddress": "203.0.113.10",
            "tlsDetails": {
                "tlsVersion": "TLSv1.2",
                "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                "clientProvidedHostHeader": "sts.amazonaws.com",
            },
            "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off "
            "command/sts.assume-role",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLEID1234567:ci-runner",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/ci-runner",
                "accountId": ACCOUNT,
                "accessKeyId": "ASIAEXAMPLEKEY000001",
                "sessionContext": {  # schema order, not the record's (sessionIssuer comes first there)
                    "attributes": {"mfaAuthenticated": "false", "creationDate": "2024-03-15T09:55:41Z"},
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": "AROAEXAMPLEID1234567",
                        "arn": f"arn:aws:iam::{ACCOUNT}:role/ci-deployer",
                        "accountId": ACCOUNT,
                        "userName": "ci-deployer",
                    },
                    "webIdFederationData": {},  # an empty object is kept (spec b.2, T25)
                    "sourceIdentity": "build-4711",
                },
            },
            "p_event_time": "2024-03-15 10:00:00.512000000",
            "p_any_aws_account_ids": (ACCOUNT, "210987654321"),
            "p_any_aws_arns": (
                f"arn:aws:iam::{ACCOUNT}:role/ci-deployer",
                "arn:aws:iam::210987654321:role/deploy",
                f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/ci-runner",
            ),
            "p_any_domain_names": ("sts.amazonaws.com",),
            "p_any_ip_addresses": ("203.0.113.10",),
        },
    ),
    (
        3,
        "s3-data-event-resources",
        {
            "additionalEventData": {
                "SignatureVersion": "SigV4",
                "CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                "bytesTransferredIn": 0,
                "AuthenticationMethod": "AuthHeader",
                "x-amz-id-2": "EXAMPLEt1eS4u3SiqH4pN0eXAMPLE=",
                "bytesTransferredOut": 48213,
            },
            "awsRegion": "us-east-1",
            "eventCategory": "Data",
            "eventID": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
            "eventName": "GetObject",
            "eventSource": "s3.amazonaws.com",
            "eventTime": "2024-03-15 10:00:03.000000000",
            "eventType": "AwsApiCall",
            "eventVersion": "1.09",
            "managementEvent": False,
            "readOnly": True,
            "recipientAccountId": ACCOUNT,
            "requestID": "9XKQ3Y7ZEXAMPLE1",
            "requestParameters": {
                "bucketName": "acme-invoices",
                "Host": "acme-invoices.s3.us-east-1.amazonaws.com",
                "key": "2024/03/inv-0042.pdf",
            },
            "resources": [
                {"ARN": "arn:aws:s3:::acme-invoices/2024/03/inv-0042.pdf", "type": "AWS::S3::Object"},
                {"ARN": "arn:aws:s3:::acme-invoices", "accountId": ACCOUNT, "type": "AWS::S3::Bucket"},
            ],
            "sourceIPAddress": "10.0.1.25",
            "tlsDetails": {
                "tlsVersion": "TLSv1.2",
                "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                "clientProvidedHostHeader": "acme-invoices.s3.us-east-1.amazonaws.com",
            },
            "userAgent": "[aws-sdk-java/2.25.11 Linux/5.10.210 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS]",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLEID2345678:i-0abc123def4567890",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-server/i-0abc123def4567890",
                "accountId": ACCOUNT,
                "accessKeyId": "ASIAEXAMPLEKEY000003",
                "sessionContext": {
                    "attributes": {"mfaAuthenticated": "false", "creationDate": "2024-03-15T09:12:03Z"},
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": "AROAEXAMPLEID2345678",
                        "arn": f"arn:aws:iam::{ACCOUNT}:role/app-server",
                        "accountId": ACCOUNT,
                        "userName": "app-server",
                    },
                    "ec2RoleDelivery": "2.0",
                },
            },
            "vpcEndpointAccountId": ACCOUNT,
            "vpcEndpointId": "vpce-0a1b2c3d4e5f60718",
            "p_event_time": "2024-03-15 10:00:03.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_aws_arns": (
                f"arn:aws:iam::{ACCOUNT}:role/app-server",
                "arn:aws:s3:::acme-invoices",
                "arn:aws:s3:::acme-invoices/2024/03/inv-0042.pdf",
                f"arn:aws:sts::{ACCOUNT}:assumed-role/app-server/i-0abc123def4567890",
            ),
            "p_any_domain_names": ("acme-invoices.s3.us-east-1.amazonaws.com",),
            "p_any_ip_addresses": ("10.0.1.25",),
        },
    ),
    (
        4,
        "access-denied-error-ipv6-source",
        {
            "awsRegion": "us-east-1",
            "errorCode": "AccessDenied",
            "errorMessage": f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: "
            f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/mallory because no "
            "identity-based policy allows the iam:CreateUser action",
            "eventCategory": "Management",
            "eventID": "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b",
            "eventName": "CreateUser",
            "eventSource": "iam.amazonaws.com",
            "eventTime": "2024-03-15 10:00:05.000000000",
            "eventType": "AwsApiCall",
            "eventVersion": "1.09",
            "managementEvent": True,
            "readOnly": False,
            "recipientAccountId": ACCOUNT,
            "requestID": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f",
            "sourceIPAddress": "2001:db8:85a3::8a2e:370:7334",
            "tlsDetails": {
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": "iam.amazonaws.com",
            },
            "userAgent": "Boto3/1.34.60 md/Botocore#1.34.60 ua/2.0 os/linux#6.5.0 md/arch#x86_64 "
            "lang/python#3.11.8",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEUSER00002",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
                "accountId": ACCOUNT,
                "accessKeyId": "AKIAEXAMPLEKEY000004",
                "userName": "bob",
            },
            "p_event_time": "2024-03-15 10:00:05.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_aws_arns": (f"arn:aws:iam::{ACCOUNT}:user/bob",),
            "p_any_domain_names": ("iam.amazonaws.com",),
            "p_any_ip_addresses": ("2001:db8:85a3::8a2e:370:7334",),
            "p_any_usernames": ("bob",),
        },
    ),
    (
        5,
        "service-name-source-is-a-domain",  # the hostname indicator, as Panther's schema has it
        {
            "awsRegion": "us-east-1",
            "eventCategory": "Management",
            "eventID": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
            "eventName": "CreateGrant",
            "eventSource": "kms.amazonaws.com",
            "eventTime": "2024-03-15 10:00:07.000000000",
            "eventType": "AwsApiCall",
            "eventVersion": "1.08",
            "managementEvent": True,
            "readOnly": False,
            "recipientAccountId": ACCOUNT,
            "requestID": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "requestParameters": {
                "keyId": KMS_KEY,
                "granteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/"
                "AWSServiceRoleForAutoScaling",
                "operations": ["Decrypt", "GenerateDataKeyWithoutPlaintext"],
            },
            "resources": [{"ARN": KMS_KEY, "accountId": ACCOUNT, "type": "AWS::KMS::Key"}],
            "responseElements": {
                "grantId": "0ab0ac0d0b000f00ea00cc0a0e00fc00bce000c000f0000000c0bc0a0000aaafSAMPLE",
                "keyId": KMS_KEY,
            },
            "sourceIPAddress": "autoscaling.amazonaws.com",
            "userAgent": "autoscaling.amazonaws.com",
            "userIdentity": {"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"},
            "p_event_time": "2024-03-15 10:00:07.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_aws_arns": (KMS_KEY,),
            "p_any_domain_names": ("autoscaling.amazonaws.com",),
        },
    ),
    (
        6,
        "web-identity-federation",
        {
            "additionalEventData": {"identityProviderConnectionVerificationMethod": "IAMTrustStore"},
            "awsRegion": "us-east-1",
            "eventCategory": "Management",
            "eventID": "e5f6a7b8-c9d0-4e1f-9a2b-3c4d5e6f7a8b",
            "eventName": "AssumeRoleWithWebIdentity",
            "eventSource": "sts.amazonaws.com",
            "eventTime": "2024-03-15 10:00:09.000000000",
            "eventType": "AwsApiCall",
            "eventVersion": "1.08",
            "managementEvent": True,
            "readOnly": True,
            "recipientAccountId": ACCOUNT,
            "requestID": "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f7a",
            "requestParameters": {
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/github-deploy",
                "roleSessionName": "GitHubActions",
            },
            "resources": [
                {
                    "ARN": f"arn:aws:iam::{ACCOUNT}:role/github-deploy",
                    "accountId": ACCOUNT,
                    "type": "AWS::IAM::Role",
                }
            ],
            "responseElements": {
                "subjectFromWebIdentityToken": GITHUB_SUBJECT,
                "assumedRoleUser": {
                    "assumedRoleId": "AROAEXAMPLEID3456789:GitHubActions",
                    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/github-deploy/GitHubActions",
                },
                "provider": GITHUB_OIDC,
                "audience": "sts.amazonaws.com",
            },
            "sourceIPAddress": "192.0.2.140",
            "userAgent": "aws-sdk-js/3.535.0",
            "userIdentity": {
                "type": "WebIdentityUser",
                "principalId": f"{GITHUB_OIDC}:sts.amazonaws.com:{GITHUB_SUBJECT}",
                "userName": GITHUB_SUBJECT,
                "identityProvider": GITHUB_OIDC,
            },
            "p_event_time": "2024-03-15 10:00:09.000000000",
            "p_any_aws_account_ids": (ACCOUNT,),
            "p_any_aws_arns": (f"arn:aws:iam::{ACCOUNT}:role/github-deploy",),
            "p_any_ip_addresses": ("192.0.2.140",),
            "p_any_usernames": (GITHUB_SUBJECT,),
        },
    ),
    (
        7,
        "record-cut-short",
        Rejected("invalid_json", None, "not JSON: Unterminated string starting at (column 100)"),
    ),
    (
        8,
        "event-version-an-object",
        Rejected(
            "bad_value",
            "eventVersion",
            """field 'eventVersion': '{"major":1,"minor":9}' is not a valid string""",
        ),
    ),
    (
        9,
        "no-event-id",
        Rejected(
            "validation_failed",
            "eventID",
            "field 'eventID' fails its 'required' rule: the field is required but absent",
        ),
    ),
]

# schema name → (sample log, one row per line)
SAMPLES: dict[str, tuple[Path, list[Row]]] = {
    "AWS.VPCFlow": (AWS / "VPCFlow.sample.log", VPC_FLOW),
    "AWS.CloudTrail": (AWS / "CloudTrail.sample.log", CLOUD_TRAIL),
}
CASES = [
    pytest.param(schema, number, expected, id=f"{schema}-L{number}-{label}")
    for schema, (_, rows) in SAMPLES.items()
    for number, label, expected in rows
]
VOLATILE = ("p_log_type", "p_row_id", "p_parse_time")


def sample_lines(schema: str) -> list[str]:
    return read_sample(SAMPLES[schema][0])


@pytest.fixture(scope="module")
def normalizers() -> dict[str, Normalizer]:
    return normalizers_for(SAMPLES)


@pytest.mark.parametrize("schema", sorted(SAMPLES))
def test_every_sample_line_has_a_row(schema: str) -> None:
    """Rows cover the sample line for line, with events and at least one reject."""
    rows = SAMPLES[schema][1]
    assert [number for number, _, _ in rows] == list(range(1, len(sample_lines(schema)) + 1))
    assert any(isinstance(expected, dict) for _, _, expected in rows)
    assert any(isinstance(expected, Rejected) for _, _, expected in rows)


@pytest.mark.parametrize(("schema", "number", "expected"), CASES)
def test_sample_line(
    schema: str,
    number: int,
    expected: dict[str, Any] | Rejected | Skipped,
    normalizers: dict[str, Normalizer],
) -> None:
    check_sample_line(normalizers[schema], schema, sample_lines(schema), number, expected)


@pytest.mark.parametrize("schema", sorted(SAMPLES))
def test_whole_sample_in_one_batch_per_file(schema: str, normalizers: dict[str, Normalizer]) -> None:
    """Two files read whole: each gives the rows' events and rejects, and skips its own header (l.10)."""
    rows = SAMPLES[schema][1]
    for source in ("a.log", "b.log"):
        batch = normalizers[schema].normalize(sample_lines(schema), source=source)
        assert batch.skipped == Counter(e.kind for _, _, e in rows if isinstance(e, Skipped))
        assert [(r.line, r.reason, r.field, r.message) for r in batch.rejects] == [
            (number, *expected) for number, _, expected in rows if isinstance(expected, Rejected)
        ]
        assert [{k: v for k, v in e.items() if k not in VOLATILE} for e in batch.events] == [
            expected for _, _, expected in rows if isinstance(expected, dict)
        ]
        assert (
            batch.lines == len(rows) == len(batch.events) + len(batch.rejects) + sum(batch.skipped.values())
        )
