"""Synonyms and acronyms: how people say it in Slack versus how the documentation says it.

The table maps a phrase (one to three surface words) to the words it stands for. It runs on
both sides, documents and questions, before stemming: a section that writes "SLR" and a
question that writes "service-linked role" meet on the same terms, and so do "app autoscaling"
and "Application Auto Scaling". Where the short form is itself a useful term (PrivateLink,
KMS) the expansion keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence

#: phrase → replacement words. Keys are lower-case surface words joined by one space.
SYNONYMS: dict[str, str] = {
    # the service itself
    "aas": "application auto scaling",
    "app autoscaling": "application auto scaling",
    "app auto scaling": "application auto scaling",
    "application autoscaling": "application auto scaling",
    "autoscaling": "auto scaling",
    "autoscale": "auto scaling",
    "autoscaler": "auto scaling",
    "autoscaled": "auto scaled",
    "asg": "ec2 auto scaling group",
    # Slack shorthand
    "remove": "remove delete",
    "removing": "removing deleting",
    "removed": "removed deleted",
    "max": "maximum",
    "min": "minimum",
    "env": "environment",
    "envs": "environments",
    "acct": "account",
    "accts": "accounts",
    "xacct": "cross account",
    "svc": "service",
    "svcs": "services",
    "tgt": "target",
    "tgts": "targets",
    "sched": "scheduled",
    "notif": "notification",
    "notifs": "notifications",
    "cmd": "command",
    "org": "organization",
    "orgs": "organizations",
    "infra": "infrastructure",
    "sec": "security",
    "req": "request",
    "reqs": "requests",
    "auth": "authentication authorization",
    "eb": "eventbridge",
    "ct": "cloudtrail",
    "rg": "replication group",
    # identity and access
    "slr": "service linked role",
    "slrs": "service linked role",
    "servicelinked": "service linked",
    "iam": "iam identity access management",
    "perms": "permissions",
    "perm": "permission",
    "privs": "privileges permissions",
    "priv": "privilege permission",
    "creds": "credentials",
    "cred": "credential",
    "abac": "abac attribute based access control tags",
    "rbac": "role based access control",
    "scp": "scp service control policy organizations",
    "scps": "scp service control policy organizations",
    "sigv4": "sigv4 signature version 4 signing requests",
    "sig v4": "sigv4 signature version 4 signing requests",
    "passrole": "passrole pass role",
    "mfa": "mfa multi factor authentication",
    "sts": "sts security token service temporary credentials",
    # an ARN is not a name: "name of the role" must not find the section on its ARN
    "arns": "arn",
    "amazon resource name": "arn",
    "amazon resource names": "arn",
    # the ResourceId parameter ("id" alone is a stop word, as in "I'd")
    "resource id": "resourceid",
    "resource ids": "resourceid",
    "least priv": "least privilege",
    # IAM names an API call an action; reading without changing anything means Describe calls
    "api calls": "api calls actions",
    "api call": "api call action",
    "read only": "read only readonly describe",
    "readonly": "read only readonly describe",
    "logged in": "signed in",
    "log in": "sign in",
    "login": "sign in",
    "logon": "sign in",
    "accessdenied": "access denied",
    "authn": "authentication signed in",
    "authz": "authorization permissions",
    "admin": "administrator",
    "admins": "administrator",
    "unauthorized": "not authorized access denied",
    "403": "access denied not authorized",
    # network
    "vpce": "vpc endpoint",
    "vpces": "vpc endpoint",
    "privatelink": "privatelink interface vpc endpoint",
    "private link": "privatelink interface vpc endpoint",
    "tls": "tls transport layer security",
    "ssl": "tls transport layer security",
    "https": "tls transport layer security",
    "pfs": "perfect forward secrecy",
    "fips": "fips endpoint",
    "sg": "security group",
    "nacl": "network acl",
    # data protection
    "kms": "kms key management service",
    "cmk": "kms customer managed key",
    "cmks": "kms customer managed key",
    "pii": "personal sensitive data",
    "encrypted": "encryption",
    "encrypt": "encryption",
    # errors
    "blows up": "fails error",
    "blew up": "failed error",
    "blow up": "fail error",
    "borked": "fails error",
    "breaks": "stops fails",
    "broke": "stopped failed",
    "stopped working": "stopped failed",
    # services
    "gsi": "gsi global secondary index",
    "gsis": "gsi global secondary index",
    # AppStream 2.0's new name (namespace, API and roles keep "appstream"); "workspaces" alone
    # is WorkSpaces pools, another namespace, so the phrase must not keep that word
    "workspaces applications": "appstream",
    "workspaces application": "appstream",
    "workspaces apps": "appstream",
    "workspace applications": "appstream",
    "ddb": "dynamodb",
    "dynamo": "dynamodb",
    "ecs": "ecs elastic container service",
    "fargate": "ecs fargate",
    "msk": "msk kafka",
    "kafka": "msk kafka",
    "emr": "emr elastic mapreduce",
    "rds": "rds aurora",
    "keyspaces": "keyspaces cassandra",
    "cassandra": "keyspaces cassandra",
    "memcached": "elasticache memcached",
    "redis": "elasticache redis",
    "valkey": "elasticache valkey",
    "spot": "spot fleet",
    "sm": "sagemaker",
    "lambda": "lambda function",
    "cfn": "cloudformation",
    "cloudwatch events": "eventbridge",
    "cw": "cloudwatch",
    "trail": "cloudtrail trail",
    "phd": "personal health dashboard aws health",
    "health dashboard": "aws health dashboard",
    # compliance and resilience
    "hipaa": "hipaa compliance",
    "pci": "pci compliance",
    "soc": "soc compliance",
    "soc2": "soc compliance",
    "fedramp": "fedramp compliance",
    "iso": "iso compliance",
    "dr": "disaster recovery",
    "cn": "cn china",
    "az": "availability zone",
    "azs": "availability zone",
    "multi az": "multiple availability zone",
    "ha": "high availability",
    "single point of failure": "single point of failure resilience availability zone",
    "spof": "single point of failure resilience availability zone",
    # monitoring
    "scaling history": "scaling activities history",
    "scale history": "scaling activities history",
    "who changed": "who changed cloudtrail api calls",
    "who deleted": "who deleted cloudtrail api calls",
    "who modified": "who modified cloudtrail api calls",
    "who registered": "who registered cloudtrail api calls",
    "who deregistered": "who deregistered cloudtrail api calls",
    "who created": "who created cloudtrail api calls",
    "who removed": "who removed cloudtrail api calls",
    "who updated": "who updated cloudtrail api calls",
    "who disabled": "who disabled cloudtrail api calls",
    "audit": "audit logging cloudtrail",
    "auditing": "audit logging cloudtrail",
    # the everyday words for what the AWS pages call quotas, impairment, suspension,
    # retention, denial and compliance (each keeps the word typed)
    "limit": "limit quota",
    "limits": "limits quotas",
    "outage": "outage impaired",
    "outages": "outages impaired",
    "degraded": "degraded impaired",
    "pause": "pause suspend",
    "paused": "paused suspended",
    "pausing": "pausing suspending",
    "unpause": "resume",
    "retention": "retention kept",
    "retain": "retain kept",
    "retained": "retained kept",
    "prevent": "prevent deny",
    "block": "block deny",
    "forbid": "forbid deny",
    "certified": "certified compliance",
    "certification": "certification compliance",
    "attestation": "attestation compliance",
    "prod": "prod production",
}

#: Longest phrase in the table, in words (bounds the matching loop).
MAX_PHRASE = max(len(k.split()) for k in SYNONYMS)
_TABLE: dict[tuple[str, ...], list[str]] = {
    tuple(k.split()): v.split() for k, v in SYNONYMS.items()
}
#: first word of a phrase → the phrase lengths starting with it, longest first
_STARTS: dict[str, tuple[int, ...]] = {}
for _key in _TABLE:
    _STARTS[_key[0]] = tuple(sorted({*_STARTS.get(_key[0], ()), len(_key)}, reverse=True))


def spans(surface: Sequence[str]) -> list[tuple[tuple[str, ...], list[str]]]:
    """Split words into (typed phrase, words it stands for), longest phrase first.

    Words the table does not know come back as themselves, one per span.
    """
    out: list[tuple[tuple[str, ...], list[str]]] = []
    i = 0
    n = len(surface)
    while i < n:
        word = surface[i]
        for size in _STARTS.get(word, ()):
            key = tuple(surface[i : i + size])
            replacement = _TABLE.get(key)
            if replacement is not None:
                out.append((key, replacement))
                i += size
                break
        else:
            out.append(((word,), [word]))
            i += 1
    return out


def expand(surface: Sequence[str]) -> list[str]:
    """Rewrite surface words through the table (what documents are indexed as).

    Only the positions where a phrase can start are looked at; the words between them are
    copied in slices, which keeps indexing a large folder fast.
    """
    starts = [i for i, w in enumerate(surface) if w in _STARTS]
    if not starts:
        return list(surface)
    out: list[str] = []
    done = 0
    for i in starts:
        if i < done:
            continue
        out.extend(surface[done:i])
        for size in _STARTS[surface[i]]:
            replacement = _TABLE.get(tuple(surface[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                done = i + size
                break
        else:
            out.append(surface[i])
            done = i + 1
    out.extend(surface[done:])
    return out
