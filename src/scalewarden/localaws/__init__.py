"""A local AWS on loopback for tests, the demo and benchmarks: moto, made to behave like AWS.

Three roles, one module each:

* ``patches``: fixes to moto where its answers differ from AWS's (each names the bug);
* ``server``: ``LocalAws``, moto's threaded server on 127.0.0.1 with fault injection and
  injected latency;
* ``seed``: realistic accounts built through boto3 (targets, policies, a full scenario, IAM).

Import from here: ``from scalewarden.localaws import LocalAws, seed_scenario``.
"""

from scalewarden.localaws.patches import AAS_MAX_RESULTS, install_patches
from scalewarden.localaws.seed import (
    RESOURCE_ID_FORMATS,
    SeededRegion,
    add_scaling_activity,
    create_managed_policies,
    register_targets,
    seed_iam,
    seed_scenario,
)
from scalewarden.localaws.server import DEFAULT_ACCOUNT_ID, FAKE_CREDENTIALS, Fault, LocalAws

__all__ = [
    "AAS_MAX_RESULTS",
    "DEFAULT_ACCOUNT_ID",
    "FAKE_CREDENTIALS",
    "RESOURCE_ID_FORMATS",
    "Fault",
    "LocalAws",
    "SeededRegion",
    "add_scaling_activity",
    "create_managed_policies",
    "install_patches",
    "register_targets",
    "seed_iam",
    "seed_scenario",
]
