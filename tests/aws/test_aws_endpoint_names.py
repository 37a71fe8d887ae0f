"""AAS interface endpoints are found under the service name their partition gives them.

In the China regions endpoint services may be published as ``cn.com.amazonaws.<region>.<svc>``;
looking only for ``com.amazonaws.<region>.application-autoscaling`` there would miss an
existing endpoint and report it missing. moto cannot model China's naming, so the EC2 answer
comes from botocore's Stubber, which also pins the exact filter the collector sends.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from scalewarden.aws.collector import CollectorOptions, collect_accounts
from scalewarden.aws.inventory import Source
from scalewarden.aws.regions import aas_endpoint_service_names
from scalewarden.aws.session import ClientFactory, ClientSettings, make_config

FAST = ClientSettings(max_attempts=1, retry_mode="standard", connect_timeout=1, read_timeout=2)


class StubbedEc2(ClientFactory):
    """Every client is a real botocore client; EC2's answers come from one ``Stubber``."""

    def __init__(self, region: str) -> None:
        super().__init__(
            boto3.Session(aws_access_key_id="x", aws_secret_access_key="x"), make_config(FAST)
        )
        self.ec2 = super().client("ec2", region)
        self.stubber = Stubber(self.ec2)
        self.stubber.activate()

    def client(self, service: str, region: str) -> Any:
        assert service == "ec2", service
        return self.ec2


def endpoints_of(region: str, answer: list[dict[str, Any]]) -> Any:
    factory = StubbedEc2(region)
    factory.stubber.add_response(
        "describe_vpc_endpoints",
        {"VpcEndpoints": answer},
        {
            "Filters": [
                {"Name": "service-name", "Values": list(aas_endpoint_service_names(region))}
            ],
            "MaxResults": 1000,
        },
    )
    [inv] = collect_accounts(
        [(factory, "111122223333", "cn-account")],
        [region],
        options=CollectorOptions(
            max_workers=1, sources=frozenset({Source.VPC_ENDPOINTS}), namespaces=()
        ),
    )
    factory.stubber.assert_no_pending_responses()
    return inv.regions[region]


def test_service_names_per_partition() -> None:
    assert aas_endpoint_service_names("eu-west-1") == (
        "com.amazonaws.eu-west-1.application-autoscaling",
    )
    assert aas_endpoint_service_names("us-gov-west-1") == (
        "com.amazonaws.us-gov-west-1.application-autoscaling",
    )
    assert aas_endpoint_service_names("cn-northwest-1") == (
        "cn.com.amazonaws.cn-northwest-1.application-autoscaling",
        "com.amazonaws.cn-northwest-1.application-autoscaling",
    )


def test_china_endpoint_with_the_cn_prefix_is_collected() -> None:
    name = "cn.com.amazonaws.cn-north-1.application-autoscaling"
    region = endpoints_of(
        "cn-north-1",
        [
            {
                "VpcEndpointId": "vpce-0123456789abcdef0",
                "VpcEndpointType": "Interface",
                "VpcId": "vpc-1",
                "ServiceName": name,
                "State": "available",
                "PrivateDnsEnabled": True,
                "Groups": [{"GroupId": "sg-1", "GroupName": "endpoint"}],
            }
        ],
    )
    assert region.errors == {}
    assert [(e.endpoint_id, e.service_name) for e in region.vpc_endpoints] == [
        ("vpce-0123456789abcdef0", name)
    ]


def test_other_partitions_ask_for_the_one_usual_name() -> None:
    region = endpoints_of("us-east-1", [])
    assert region.errors == {} and region.vpc_endpoints == []
