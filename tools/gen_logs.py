#!/usr/bin/env python3
"""Deterministic corpora of several log types, for ``tools/bench --kind``, with the spread of values
real ones have (client addresses all over the IPv4 space, many paths, hosts, programs and messages,
one timestamp per few lines):

    heroku       Heroku.Runtime, from tools/gen_heroku.py's generator (imported, same bytes)
    apache       Apache.AccessCombined
    vpcflow      AWS.VPCFlow rows, after their header line
    syslog5424   Syslog.RFC5424: nil values, structured data, messages of 100-200 bytes
    syslog3164   Syslog.RFC3164: space-padded days, tags with and without [pid]
    cloudtrail   AWS.CloudTrail records, one JSON object per line (~1.2 KB)
    mixed        Heroku (50%), Apache (25%) and RFC 5424 (25%) lines in runs of 1-8, as a merged feed

    tools/gen_logs.py apache -n 500000 -o /tmp/apache-500000.log
    tools/gen_logs.py cloudtrail -n 200000 -o /tmp/cloudtrail-200000.log
    tools/gen_logs.py syslog5424 -n 200000 --bad-share 0.3 -o /tmp/syslog5424-200000-bad0.3.log

``--bad-share F`` replaces that share of the lines (chosen by a second generator seeded from --seed,
so the good lines stay those of the clean corpus) by a realistically broken line of the same kind:
truncated inside its header (or anywhere, for JSON), garbage from the same feed (a stack-trace line,
``-- MARK --``, a shell message), or a line with a bad value (a non-numeric priority, an impossible
timestamp, a required field missing). The VPC Flow header line is never replaced. A summary on stderr
gives the number of bad lines by kind of damage and the rejects ``normalize`` should report, by reason
(for ``mixed`` all are no_match: with several schemas, a line that none takes is "no schema took the
line").

Same kind, seed, N and bad share give byte-identical output. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The team's Heroku generator beside this file: on sys.path when run as a script, not when another
# tool or a test loads this file by its path (tools/fuzz_paths, tests/test_differential.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_heroku

_PATHS = ("/", "/index.html", "/static/app.js", "/login", "/api/v1/items?id={}", "/img/{}.png")
_REFERRERS = ("-", "https://www.google.com/", "https://example.com/page/{}")
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.31.0",
)
VPC_HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    "action log-status"
)
EPOCH = datetime(2024, 3, 15, tzinfo=UTC)


def heroku(r: random.Random, n: int) -> Iterator[str]:
    """gen_heroku.py's lines, seeded with the seed that ``r`` was made with (see ``main``)."""
    g = gen_heroku.Gen(r.seed_value)  # type: ignore[attr-defined]
    for _ in range(n):
        yield g.line()[:-1]


def apache(r: random.Random, n: int) -> Iterator[str]:
    for i in range(n):
        second = i // 50
        when = f"15/Mar/2024:{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d} +0000"
        client = f"{r.randrange(1, 224)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)}"
        path = r.choice(_PATHS).format(r.randrange(1000))
        referrer = r.choice(_REFERRERS).format(r.randrange(100))
        user = r.choice(("-", "-", "-", "frank", "bob"))
        status = r.choice((200, 200, 200, 304, 404, 500))
        yield (
            f'{client} - {user} [{when}] "GET {path} HTTP/1.1" {status} {r.randrange(100, 99999)} '
            f'"{referrer}" "{r.choice(_AGENTS)}"'
        )


def vpcflow(r: random.Random, n: int) -> Iterator[str]:
    yield VPC_HEADER
    for i in range(n):
        start = 1710496800 + i // 100
        source = f"10.0.{r.randrange(256)}.{r.randrange(256)}"
        yield (
            f"2 123456789012 eni-0a1b2c3d4e5f6{r.randrange(1000):04d} {source} "
            f"198.51.100.{r.randrange(256)} {r.randrange(1024, 65535)} 443 6 {r.randrange(1, 100)} "
            f"{r.randrange(40, 100000)} {start} {start + 60} {r.choice(('ACCEPT', 'REJECT'))} OK"
        )


# --- syslog ------------------------------------------------------------------------------------------

_HOSTS = (
    "web-01",
    "web-02",
    "web-03.prod.example.com",
    "db-01.prod.example.com",
    "bastion-01",
    "mail-01.example.org",
    "k8s-node-7.internal",
    "10.0.4.17",
    "192.0.2.44",
    "fw-edge-2",
)
_USERS = ("deploy", "root", "alice", "bob", "ci", "postgres", "www-data", "backup")
_WORDS = ("cache", "billing", "orders", "session", "upload", "queue", "index", "report", "token", "sync")


def _ip(r: random.Random) -> str:
    return f"{r.choice((198, 203, 185, 81, 10))}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


def _syslog_event(r: random.Random) -> tuple[int, str, str, str]:
    """(facility, app, pid or '', message) of one plausible syslog event."""
    k = r.random()
    if k < 0.22:
        user, ip = r.choice(_USERS), _ip(r)
        message = r.choice(
            (
                f"Accepted publickey for {user} from {ip} port {r.randrange(1024, 65535)} ssh2: "
                f"ED25519 SHA256:{''.join(r.choices('abcdefghijkLMNOPQRS0123456789+/', k=43))}",
                f"Failed password for invalid user {r.choice(_WORDS)} from {ip} port "
                f"{r.randrange(1024, 65535)} ssh2",
                f"pam_unix(sshd:session): session opened for user {user}(uid={r.randrange(0, 2000)}) "
                "by (uid=0)",
                f"Received disconnect from {ip} port {r.randrange(1024, 65535)}:11: disconnected by user",
            )
        )
        return 4, "sshd", str(r.randrange(300, 65000)), message
    if k < 0.45:
        message = (
            f'{_ip(r)} - - "GET /api/v1/{r.choice(_WORDS)}/{r.randrange(1, 99999)} HTTP/1.1" '
            f"{r.choice((200, 200, 200, 201, 304, 404, 499, 502))} {r.randrange(0, 90000)} "
            f'"-" "{r.choice(_AGENTS)}" rt={r.uniform(0, 2):.3f}'
        )
        return 16, "nginx", str(r.randrange(1000, 9000)), message
    if k < 0.58:
        message = r.choice(
            (
                f"[{r.randrange(10000, 99999)}.{r.randrange(10**6):06d}] Out of memory: Killed process "
                f"{r.randrange(1000, 65000)} (java) total-vm:{r.randrange(10**6, 10**7)}kB, "
                f"anon-rss:{r.randrange(10**5, 10**6)}kB",
                f"[{r.randrange(10000, 99999)}.{r.randrange(10**6):06d}] [UFW BLOCK] IN=eth0 OUT= "
                f"SRC={_ip(r)} DST=10.0.0.{r.randrange(1, 255)} LEN={r.randrange(40, 1500)} PROTO=TCP "
                f"SPT={r.randrange(1024, 65535)} DPT={r.choice((22, 23, 3389, 5432))}",
                f"[{r.randrange(10000, 99999)}.{r.randrange(10**6):06d}] EXT4-fs (nvme0n1p1): "
                "re-mounted. Opts: (null). Quota mode: none.",
            )
        )
        return 0, "kernel", "-", message
    if k < 0.72:
        unit = f"{r.choice(_WORDS)}-worker@{r.randrange(1, 9)}.service"
        message = r.choice(
            (
                f"Started {unit} - {r.choice(_WORDS).capitalize()} worker instance {r.randrange(1, 9)}.",
                f"{unit}: Main process exited, code=exited, status={r.choice((1, 137, 143))}/FAILURE",
                f"{unit}: Consumed {r.uniform(0, 90):.3f}s CPU time, {r.uniform(1, 900):.1f}M memory peak.",
            )
        )
        return 3, "systemd", "1", message
    if k < 0.84:
        message = (
            f"{r.choice(('LOG', 'LOG', 'WARNING', 'ERROR'))}:  duration: {r.uniform(0.1, 9000):.3f} ms  "
            f"statement: SELECT * FROM {r.choice(_WORDS)} WHERE id = {r.randrange(1, 10**7)} LIMIT 50"
        )
        return 16, "postgres", str(r.randrange(1000, 65000)), message
    if k < 0.92:
        message = (
            f"({r.choice(_USERS)}) CMD (/usr/local/bin/{r.choice(_WORDS)}-rotate.sh "
            f"--keep {r.randrange(1, 30)} >/dev/null 2>&1)"
        )
        return 9, "CRON", str(r.randrange(1000, 65000)), message
    message = (
        f'level={r.choice(("info", "info", "warn", "error"))} msg="{r.choice(_WORDS)} {r.choice(_WORDS)} '
        f'done" request_id={r.getrandbits(64):016x} duration={r.uniform(0.001, 3):.4f}s '
        f"user_id={r.randrange(1, 10**6)}"
    )
    return 1, r.choice(("billing-api", "orders-svc", "auth")), str(r.randrange(1, 500)), message


_SD = (
    '[timeQuality tzKnown="1" isSynced="1" syncAccuracy="{}"]',
    '[origin ip="10.0.4.{}" software="rsyslogd" swVersion="8.2312.0"]',
    '[meta sequenceId="{}"]',
    '[exampleSDID@32473 iut="3" eventSource="Application" eventID="{}"]',
    '[request@32473 id="{}" path="/api/v1/orders" user="alice"][meta sequenceId="17"]',
    '[audit@32473 cmd="rm \\"old\\" files" result="ok" code="{}"]',
)


def syslog5424(r: random.Random, n: int) -> Iterator[str]:
    at = EPOCH
    for _ in range(n):
        at += timedelta(microseconds=r.randrange(0, 20000))
        facility, app, pid, message = _syslog_event(r)
        priority = facility * 8 + r.choice((3, 4, 5, 6, 6, 6, 7))
        k = r.random()
        if k < 0.6:
            when = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        elif k < 0.85:
            when = (at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%f+01:00")
        elif k < 0.99:
            when = (at - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S-07:00")
        else:
            when = "-"
        host = r.choice(_HOSTS) if r.random() < 0.98 else "-"
        if r.random() < 0.1:
            pid = "-"
        msgid = r.choice(("-", "-", "-", "-", "ID47", "TCPIN", "audit", "req"))
        sd = r.choice(_SD).format(r.randrange(1, 100000)) if r.random() < 0.35 else "-"
        k = r.random()
        if k < 0.01:
            tail = ""  # no MSG part
        elif k < 0.03:
            tail = " \ufeff" + message  # MSG-UTF8 with its byte order mark
        else:
            tail = " " + message
        yield f"<{priority}>1 {when} {host} {app} {pid} {msgid} {sd}{tail}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def syslog3164(r: random.Random, n: int) -> Iterator[str]:
    at = datetime(2024, 3, 8, 22, 0, 0, tzinfo=UTC)  # days 8 to 11 for 200,000 lines: padded and not
    for _ in range(n):
        at += timedelta(seconds=r.randrange(0, 3))
        facility, app, pid, message = _syslog_event(r)
        priority = facility * 8 + r.choice((3, 4, 5, 6, 6, 6, 7))
        when = f"{_MONTHS[at.month - 1]} {at.day:2d} {at:%H:%M:%S}"
        host = r.choice(_HOSTS).split(".")[0]
        # kernel, systemd and some daemons write no [pid]
        no_pid = pid == "-" or app == "systemd" or r.random() < 0.1
        tag = f"{app}: " if no_pid else f"{app}[{pid}]: "
        if r.random() < 0.02:
            tag = ""  # a device that writes no tag at all
        yield f"<{priority}>{when} {host} {tag}{message}"


# --- CloudTrail --------------------------------------------------------------------------------------

_ACCOUNTS = ("123456789012", "210987654321", "345678901234")
_REGIONS = ("us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
_CT_AGENTS = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/{}",
    "Boto3/1.34.62 md/Botocore#1.34.62 ua/2.0 os/linux#5.10.210 md/arch#x86_64 lang/python#3.11.8 "
    "cfg/retry-mode#legacy",
    "[aws-sdk-java/2.25.11 Linux/5.10.210 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 "
    "vendor/Amazon.com]",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3 Safari/605.1.15",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/{}",
    "terraform-provider-aws/5.40.0 (+https://registry.terraform.io) HashiCorp Terraform/1.7.4",
)
_ROLES = ("ci-deployer", "app-server", "lambda-exec", "readonly-audit", "data-pipeline")
_IAM_USERS = ("alice", "bob", "carol", "svc-backup", "terraform")
_TLS = (
    ("TLSv1.3", "TLS_AES_128_GCM_SHA256"),
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
    ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
)


def _uuid(r: random.Random) -> str:
    h = f"{r.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _key(r: random.Random, prefix: str) -> str:
    return prefix + "".join(r.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))


def _identity(r: random.Random, account: str, at: datetime) -> dict[str, object]:
    k = r.random()
    if k < 0.4:
        role = r.choice(_ROLES)
        session = r.choice(("i-0" + f"{r.getrandbits(64):017x}"[:17], f"session-{r.randrange(10**6)}"))
        role_id = "AROA" + "".join(r.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=17))
        issued = (at - timedelta(seconds=r.randrange(60, 3600))).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            "accountId": account,
            "accessKeyId": _key(r, "ASIA"),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "webIdFederationData": {},
                "attributes": {"creationDate": issued, "mfaAuthenticated": "false"},
                **({"ec2RoleDelivery": "2.0"} if session.startswith("i-") else {}),
            },
        }
    if k < 0.8:
        user = r.choice(_IAM_USERS)
        return {
            "type": "IAMUser",
            "principalId": "AIDA" + "".join(r.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=17)),
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": _key(r, "AKIA"),
            "userName": user,
        }
    service = r.choice(("ec2.amazonaws.com", "lambda.amazonaws.com", "cloudformation.amazonaws.com"))
    return {"type": "AWSService", "invokedBy": service}


def _call(r: random.Random, account: str, region: str) -> dict[str, object]:
    """eventSource, eventName, readOnly, category, request, response and resources of one call."""
    bucket = f"acme-{r.choice(_WORDS)}-{r.choice(('prod', 'staging', 'logs'))}"
    k = r.random()
    if k < 0.3:
        key = f"{r.choice(_WORDS)}/2024/03/15/{r.getrandbits(48):012x}.json.gz"
        name = r.choice(("GetObject", "GetObject", "PutObject", "HeadObject"))
        return {
            "eventSource": "s3.amazonaws.com",
            "eventName": name,
            "readOnly": name != "PutObject",
            "eventCategory": "Data",
            "managementEvent": False,
            "requestParameters": {
                "bucketName": bucket,
                "Host": f"{bucket}.s3.{region}.amazonaws.com",
                "key": key,
                **({"x-amz-server-side-encryption": "aws:kms"} if name == "PutObject" else {}),
            },
            "responseElements": (
                {"x-amz-server-side-encryption": "aws:kms", "x-amz-version-id": f"{r.getrandbits(96):024x}"}
                if name == "PutObject"
                else None
            ),
            "additionalEventData": {
                "SignatureVersion": "SigV4",
                "CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                "bytesTransferredIn": r.randrange(0, 10**6) if name == "PutObject" else 0,
                "AuthenticationMethod": "AuthHeader",
                "x-amz-id-2": "".join(r.choices("abcdefghijklmnopqrstuvwxyzABCDEF0123456789+/", k=40)) + "=",
                "bytesTransferredOut": r.randrange(0, 10**7),
            },
            "resources": [
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
            ],
        }
    if k < 0.55:
        instance = f"i-0{r.getrandbits(64):017x}"[:19]
        name = r.choice(
            ("DescribeInstances", "DescribeInstances", "DescribeSecurityGroups", "StartInstances")
        )
        return {
            "eventSource": "ec2.amazonaws.com",
            "eventName": name,
            "readOnly": name.startswith("Describe"),
            "eventCategory": "Management",
            "managementEvent": True,
            "requestParameters": (
                {"instancesSet": {"items": [{"instanceId": instance}]}}
                if name == "StartInstances"
                else {
                    "filterSet": {
                        "items": [{"name": "tag:team", "valueSet": {"items": [{"value": r.choice(_WORDS)}]}}]
                    }
                }
            ),
            "responseElements": (
                {
                    "requestId": _uuid(r),
                    "instancesSet": {
                        "items": [
                            {
                                "instanceId": instance,
                                "currentState": {"code": 0, "name": "pending"},
                                "previousState": {"code": 80, "name": "stopped"},
                            }
                        ]
                    },
                }
                if name == "StartInstances"
                else None
            ),
        }
    if k < 0.72:
        role = r.choice(_ROLES)
        session = f"{r.choice(_WORDS)}-{r.randrange(10**6)}"
        target = r.choice(_ACCOUNTS)
        return {
            "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRole",
            "readOnly": True,
            "eventCategory": "Management",
            "managementEvent": True,
            "requestParameters": {
                "roleArn": f"arn:aws:iam::{target}:role/{role}",
                "roleSessionName": session,
                "durationSeconds": r.choice((900, 3600)),
            },
            "responseElements": {
                "credentials": {
                    "accessKeyId": _key(r, "ASIA"),
                    "sessionToken": "IQoJb3JpZ2luX2Vj" + "".join(r.choices("ABCDEFabcdef0123456789", k=40)),
                    "expiration": "Mar 15, 2024, 11:15:00 AM",
                },
                "assumedRoleUser": {
                    "assumedRoleId": f"AROA{r.getrandbits(64):016X}:{session}",
                    "arn": f"arn:aws:sts::{target}:assumed-role/{role}/{session}",
                },
            },
            "resources": [
                {"accountId": target, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{target}:role/{role}"}
            ],
        }
    if k < 0.88:
        key_id = _uuid(r)
        return {
            "eventSource": "kms.amazonaws.com",
            "eventName": r.choice(("Decrypt", "GenerateDataKey")),
            "readOnly": True,
            "eventCategory": "Management",
            "managementEvent": True,
            "requestParameters": {
                "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{bucket}"},
                "keyId": f"arn:aws:kms:{region}:{account}:key/{key_id}",
            },
            "responseElements": None,
            "resources": [
                {
                    "accountId": account,
                    "type": "AWS::KMS::Key",
                    "ARN": f"arn:aws:kms:{region}:{account}:key/{key_id}",
                }
            ],
        }
    user = r.choice(_IAM_USERS)
    name = r.choice(("GetUser", "ListAttachedUserPolicies", "AttachUserPolicy", "CreateAccessKey"))
    return {
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "readOnly": name.startswith(("Get", "List")),
        "eventCategory": "Management",
        "managementEvent": True,
        "requestParameters": {
            "userName": user,
            **({"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"} if name == "AttachUserPolicy" else {}),
        },
        "responseElements": None,
    }


def cloudtrail(r: random.Random, n: int) -> Iterator[str]:
    at = EPOCH
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    for _ in range(n):
        at += timedelta(milliseconds=r.randrange(0, 40))
        account, region = r.choice(_ACCOUNTS), r.choice(_REGIONS)
        identity = _identity(r, account, at)
        call = _call(r, account, region)
        service = identity.get("invokedBy")
        tls_version, cipher = r.choice(_TLS)
        record: dict[str, object] = {
            "eventVersion": r.choice(("1.08", "1.09", "1.09", "1.10")),
            "userIdentity": identity,
            "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": call["eventSource"],
            "eventName": call["eventName"],
            "awsRegion": region,
            "sourceIPAddress": service or (_ip(r) if r.random() < 0.9 else "AWS Internal"),
            "userAgent": service or r.choice(_CT_AGENTS).format(str(call["eventName"]).lower()),
        }
        if r.random() < 0.06:
            record["errorCode"] = "AccessDenied"
            record["errorMessage"] = (
                f"User: {identity.get('arn', service)} is not authorized to perform: "
                f"{str(call['eventSource']).split('.')[0]}:{call['eventName']} because no identity-based "
                "policy allows the action"
            )
            call["responseElements"] = None
        record["requestParameters"] = call["requestParameters"]
        record["responseElements"] = call["responseElements"]
        if "additionalEventData" in call:
            record["additionalEventData"] = call["additionalEventData"]
        record["requestID"] = _uuid(r) if r.random() < 0.7 else "".join(r.choices("0123456789ABCDEF", k=16))
        record["eventID"] = _uuid(r)
        record["readOnly"] = call["readOnly"]
        if "resources" in call:
            record["resources"] = call["resources"]
        record["eventType"] = "AwsApiCall"
        record["managementEvent"] = call["managementEvent"]
        record["recipientAccountId"] = account
        if call["eventName"] == "AssumeRole" and r.random() < 0.5:
            record["sharedEventID"] = _uuid(r)
        if r.random() < 0.1:
            record["vpcEndpointId"] = f"vpce-0{r.getrandbits(64):016x}"
            record["vpcEndpointAccountId"] = account
        record["eventCategory"] = call["eventCategory"]
        if not service:
            host = f"{str(call['eventSource']).split('.')[0]}.{region}.amazonaws.com"
            record["tlsDetails"] = {
                "tlsVersion": tls_version,
                "cipherSuite": cipher,
                "clientProvidedHostHeader": host,
            }
        yield dumps(record)


# --- a merged feed -----------------------------------------------------------------------------------

_MIXED = (("heroku", 0.5), ("apache", 0.25), ("syslog5424", 0.25))


def mixed(r: random.Random, n: int) -> Iterator[str]:
    """Runs of 1-8 lines from one source, the source drawn with the weights of _MIXED; each source
    its own generator, seeded from ``r``'s seed, as if three programs wrote to one collector."""
    seed = r.seed_value  # type: ignore[attr-defined]
    sources = {name: _seeded(seed + i) for i, (name, _) in enumerate(_MIXED)}
    feeds = {name: KINDS[name](sources[name], n) for name, _ in _MIXED}
    names = [name for name, _ in _MIXED]
    weights = [weight for _, weight in _MIXED]
    left = n
    while left > 0:
        name = r.choices(names, weights)[0]
        for _ in range(min(left, r.randrange(1, 9))):
            yield next(feeds[name])
            left -= 1


# --- broken lines ------------------------------------------------------------------------------------

_GARBAGE = (
    "\tat com.acme.billing.InvoiceService.charge(InvoiceService.java:{})",
    "-- MARK --",
    "Segmentation fault (core dumped) pid {}",
    "\x1b[31mERROR\x1b[0m connection reset by peer ({})",
    'Traceback (most recent call last): File "/srv/app/worker.py", line {}, in <module>',
    "^@^@^@^@^@^@^@^@^@^@^@^@ {}",
)


def _nth(line: str, char: str, n: int, start: int = 0) -> int:
    """Index of the n-th ``char`` (1-based) in ``line`` from ``start``."""
    at = start - 1
    for _ in range(n):
        at = line.index(char, at + 1)
    return at


def _header_end(kind: str, line: str) -> int:
    """Where a line's header ends: cut before it, the line no longer matches its schema."""
    if kind == "heroku":
        return _nth(line, " ", 7)  # before the space after MSGID
    if kind == "syslog5424":
        return _nth(line, " ", 6)  # before the space after MSGID, so before the structured data
    if kind == "syslog3164":
        return line.index(" ", line.index(">") + 17)  # the end of HOSTNAME
    if kind == "apache":
        return line.index('"', line.index("]"))  # before the request line
    if kind == "vpcflow":
        return _nth(line, " ", 10)  # before start, a required column
    return len(line) - 1  # cloudtrail: any cut breaks the JSON object


def _bad_value(kind: str, r: random.Random, line: str) -> tuple[str, str]:
    """(line, reason) with one value replaced by one the schema refuses."""
    k = r.random()
    if kind == "heroku":
        if k < 0.5:  # a non-numeric priority
            return line.replace(">1 ", "a>1 ", 1), "bad_value"
        return "l" + line[1:], "bad_value"  # an l for a 1 in the octet count
    if kind == "syslog5424":
        if k < 0.4:
            return "<1a4" + line[line.index(">") :], "no_match"
        start, end = _nth(line, " ", 1), _nth(line, " ", 2)
        stamp = line[start + 1 : end]
        if k < 0.7 and stamp != "-":  # month 13
            return f"{line[:start]} {stamp.replace('-03-', '-13-', 1)}{line[end:]}", "bad_value"
        return f"{line[:start]} 2024-03-15T10:00:01.123{line[end:]}", "bad_value"  # no zone
    if kind == "syslog3164":
        if k < 0.4:
            return "<1a4" + line[line.index(">") :], "no_match"
        if k < 0.7:  # milliseconds, which the schema's time format does not take
            stamp_end = line.index(">") + 16
            return f"{line[:stamp_end]}.{r.randrange(1000):03d}{line[stamp_end:]}", "bad_value"
        return line.replace(">Mar", ">Sept", 1), "no_match"
    if kind == "apache":
        if k < 0.5:  # a response size with a unit
            cut = line.index(" ", line.index('" ', line.index("]")) + 2)  # after the status
            end = line.index(" ", cut + 1)
            return f"{line[:cut]} {int(line[cut + 1 : end]) // 1000}k{line[end:]}", "bad_value"
        return line.replace("/Mar/", "/Mrz/", 1), "bad_value"  # a German month
    if kind == "vpcflow":
        columns = line.split(" ")
        if k < 0.4:
            columns[5] = "https"  # srcport
            return " ".join(columns), "bad_value"
        if k < 0.7:
            columns[12] = "DROP"  # action: not ACCEPT or REJECT
            return " ".join(columns), "validation_failed"
        columns[10] = "2024-03-15T10:00:00Z"  # start, not epoch seconds
        return " ".join(columns), "bad_value"
    # cloudtrail
    record = json.loads(line)
    if k < 0.4:
        record["eventTime"] = record["eventTime"].replace("T", " ").rstrip("Z")
        return json.dumps(record, separators=(",", ":")), "bad_value"
    if k < 0.7:
        del record["eventName"]  # a required field
        return json.dumps(record, separators=(",", ":")), "validation_failed"
    record["eventVersion"] = {"major": 1, "minor": 9}
    return json.dumps(record, separators=(",", ":")), "bad_value"


def _kind_of(line: str) -> str:
    """Which of the mixed feed's sources wrote a line."""
    if line[0] == "<":
        return "syslog5424"
    if line[: line.index(" ")].isdigit():
        return "heroku"
    return "apache"


def breaker(kind: str) -> Callable[[random.Random, str], tuple[str, str, str]]:
    """A function making a broken line of ``kind`` from a good one: (line, damage, expected reason)."""

    def breaks(r: random.Random, line: str) -> tuple[str, str, str]:
        source = _kind_of(line) if kind == "mixed" else kind
        k = r.random()
        if k < 0.35:
            cut = r.randrange(1, _header_end(source, line) + 1)
            reason = "invalid_json" if source == "cloudtrail" else "no_match"
            return line[:cut], "truncated", reason
        if k < 0.6:
            garbage = r.choice(_GARBAGE).format(r.randrange(1, 5000))
            reason = "invalid_json" if source == "cloudtrail" else "no_match"
            if source == "vpcflow":
                reason = "no_match"
            return garbage, "garbage", reason
        broken, reason = _bad_value(source, r, line)
        # With several schemas a line that none takes is one reject, no_match, whatever each said.
        return broken, "bad_value", "no_match" if kind == "mixed" else reason

    return breaks


def _seeded(seed: int) -> random.Random:
    r = random.Random(seed)
    r.seed_value = seed  # type: ignore[attr-defined]
    return r


KINDS: dict[str, Callable[[random.Random, int], Iterator[str]]] = {
    "heroku": heroku,
    "apache": apache,
    "vpcflow": vpcflow,
    "syslog5424": syslog5424,
    "syslog3164": syslog3164,
    "cloudtrail": cloudtrail,
    "mixed": mixed,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("-n", "--lines", type=int, default=1_000_000)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=20240315)
    parser.add_argument(
        "--bad-share", type=float, default=0.0, help="share of lines replaced by broken ones (default 0)"
    )
    args = parser.parse_args()
    if not 0 <= args.bad_share <= 1:
        parser.error("--bad-share is a share, from 0 to 1")
    chooser = random.Random(args.seed ^ 0x5EED_BAD)
    breaks = breaker(args.kind)
    damages: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    written = 0
    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        for line in KINDS[args.kind](_seeded(args.seed), args.lines):
            if args.bad_share and line is not VPC_HEADER and chooser.random() < args.bad_share:
                line, damage, reason = breaks(chooser, line)  # noqa: PLW2901
                damages[damage] += 1
                reasons[reason] += 1
            out.write(line + "\n")
            written += 1
    bad = sum(damages.values())
    detail = ", ".join(f"{name} {count:,}" for name, count in sorted(damages.items()))
    expected = ", ".join(f"{name} {count:,}" for name, count in sorted(reasons.items()))
    print(
        f"gen_logs: {args.kind}: {written:,} lines, {bad:,} broken ({detail or 'none'}); "
        f"expected: {args.lines - bad:,} events, {bad:,} rejects ({expected or 'none'})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
