"""Titles of the AWS guide pages our articles cite, so that a link reads as the page it opens.

A source is cited by URL (``…/userguide/<page>.html``); a reader in Slack should see "Tagging
support for Application Auto Scaling", not ``resource-tagging-support``. The titles are those of
the pages themselves (the 2023 guide, and the current guide for pages the snapshot lacks).
"""

from __future__ import annotations

from scalewarden.knowledge.corpus import source_page

PAGE_TITLES: dict[str, str] = {
    "application-auto-scaling-compliance": "Compliance validation for Application Auto Scaling",
    "application-auto-scaling-data-protection": "Application Auto Scaling and data protection",
    "application-auto-scaling-service-linked-roles": "Service-linked roles for Application Auto Scaling",  # noqa: E501
    "application-auto-scaling-vpc-endpoints": "Application Auto Scaling and interface VPC endpoints",  # noqa: E501
    "auth-and-access-control": "Identity and Access Management for Application Auto Scaling",
    "cloudwatch-alarm-notifications": "Monitoring with CloudWatch alarms",
    "disaster-recovery-resiliency": "Resilience in Application Auto Scaling",
    "infrastructure-security": "Infrastructure security in Application Auto Scaling",
    "integrated-services-list": "AWS services that you can use with Application Auto Scaling",
    "monitoring-cloudwatch": "Building dashboards with CloudWatch",
    "monitoring-eventbridge": "Monitor Application Auto Scaling events with EventBridge",
    "monitoring-overview": "Application Auto Scaling monitoring",
    "monitoring-personal-health-dashboard": "AWS Health Dashboard notifications for Application Auto Scaling",  # noqa: E501
    "resource-tagging-support": "Tagging support for Application Auto Scaling",
    "security-iam-awsmanpol": "AWS managed policies for Application Auto Scaling",
    "security": "Security in Application Auto Scaling",
    "security_iam_id-based-policy-examples": "Application Auto Scaling identity-based policy examples",  # noqa: E501
    "security_iam_permission_validation": "Permissions validation for API calls on target resources",  # noqa: E501
    "security_iam_service-with-iam": "How Application Auto Scaling works with IAM",
    "security_iam_troubleshoot": "Troubleshooting access to Application Auto Scaling",
    "services-that-can-integrate-appstream": "Amazon AppStream 2.0 and Application Auto Scaling",
    "services-that-can-integrate-aurora": "Amazon Aurora and Application Auto Scaling",
    "services-that-can-integrate-comprehend": "Amazon Comprehend and Application Auto Scaling",
    "services-that-can-integrate-custom": "Custom resources and Application Auto Scaling",
    "services-that-can-integrate-dynamodb": "Amazon DynamoDB and Application Auto Scaling",
    "services-that-can-integrate-ec2": "Amazon EC2 Spot Fleet and Application Auto Scaling",
    "services-that-can-integrate-ecs": "Amazon ECS and Application Auto Scaling",
    "services-that-can-integrate-elasticache": "ElastiCache for Redis and Application Auto Scaling",
    "services-that-can-integrate-keyspaces": "Amazon Keyspaces (for Apache Cassandra) and Application Auto Scaling",  # noqa: E501
    "services-that-can-integrate-lambda": "AWS Lambda and Application Auto Scaling",
    "services-that-can-integrate-msk": "Amazon Managed Streaming for Apache Kafka (MSK) and Application Auto Scaling",  # noqa: E501
    "services-that-can-integrate-neptune": "Amazon Neptune and Application Auto Scaling",
    "services-that-can-integrate-sagemaker": "Amazon SageMaker and Application Auto Scaling",
    "setting-up": "Setting up",
    "application-auto-scaling-quotas": "Quotas for Application Auto Scaling",
    "application-auto-scaling-scaling-activities": "Scaling activities for Application Auto Scaling",  # noqa: E501
    "application-auto-scaling-target-tracking": "Target tracking scaling policies for Application Auto Scaling",  # noqa: E501
}


def page_title(url: str) -> str:
    """The title of the guide page at ``url``; for a page we do not know, its name, readable."""
    try:
        page = source_page(url)
    except ValueError:
        return url
    return PAGE_TITLES.get(page, page.replace("-", " ").replace("_", " "))
