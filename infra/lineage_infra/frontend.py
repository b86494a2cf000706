"""CloudFront in front of the UI bucket (OAC) and, on the same origin, the read API."""

from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .compliance import skip_checkov
from .config import RUNTIME, DeploymentConfig

__all__ = ["Frontend"]


class Frontend(Construct):
    """The UI at `/` from S3 and `/api/*` forwarded to the HTTP API, so the UI needs no CORS."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        config: DeploymentConfig,
        ui_bucket: s3.IBucket,
        logs_bucket: s3.IBucket,
        api_endpoint: str,
    ) -> None:
        super().__init__(scope, cid)
        api_host = Fn.select(2, Fn.split("/", api_endpoint))
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", config.ui_certificate_arn)
            if config.ui_certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{config.project_name} lineage UI",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(ui_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            additional_behaviors={
                f"{RUNTIME.read_api_base_path}/*": cloudfront.BehaviorOptions(
                    origin=origins.HttpOrigin(
                        api_host, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
                    ),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    # Forwards the Authorization header and query string, never the Host header.
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                )
            },
            domain_names=list(config.ui_domain_names) or None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        skips = [
            (
                "CKV_AWS_68",
                "No WAF by default: a CloudFront web ACL must live in us-east-1; the UI is static "
                "files and every API route requires a Cognito JWT; attach a web ACL if your "
                "policy demands one.",
            ),
        ]
        if certificate is None:
            skips.append(
                (
                    "CKV_AWS_174",
                    "Without a custom domain CloudFront serves *.cloudfront.net with its default "
                    "certificate, whose protocol floor cannot be set; set uiCertificateArn and "
                    "uiDomainNames to get TLSv1.2_2021.",
                )
            )
        skip_checkov(self.distribution, *skips)
        self.domain_name = self.distribution.distribution_domain_name
        first_domain = config.ui_domain_names[0] if config.ui_domain_names else None
        self.url = f"https://{first_domain}" if first_domain else f"https://{self.domain_name}"
