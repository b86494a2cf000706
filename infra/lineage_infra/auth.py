"""Cognito: an OAuth client-credentials client for Spline agents, a sign-in client for the UI."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from .config import RUNTIME, DeploymentConfig

__all__ = ["Auth"]


class Auth(Construct):
    """User pool, resource server scopes and the two app clients the JWT authorizers trust."""

    def __init__(
        self, scope: Construct, cid: str, *, config: DeploymentConfig, ui_url: str
    ) -> None:
        super().__init__(scope, cid)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            # Users are invited by an administrator; nobody signs themselves up to the lineage.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.write_scope = cognito.ResourceServerScope(
            scope_name=RUNTIME.write_scope, scope_description="Send Spline lineage"
        )
        self.read_scope = cognito.ResourceServerScope(
            scope_name=RUNTIME.read_scope, scope_description="Read the lineage graph"
        )
        server = self.user_pool.add_resource_server(
            "Api",
            identifier=RUNTIME.resource_server_id,
            scopes=[self.write_scope, self.read_scope],
        )
        prefix = config.cognito_domain_prefix or f"{config.project_name}-{Aws.ACCOUNT_ID}"
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        self.token_url = f"{self.domain.base_url()}/oauth2/token"

        # Spline agents: machine-to-machine, client credentials, write scope only. Several named
        # clients may be live at once so a secret can be rotated without losing lineage.
        self.agent_clients = {
            name: self.user_pool.add_client(
                f"AgentClient-{name}",
                user_pool_client_name=name,
                generate_secret=True,
                o_auth=cognito.OAuthSettings(
                    flows=cognito.OAuthFlows(client_credentials=True),
                    scopes=[cognito.OAuthScope.resource_server(server, self.write_scope)],
                ),
                access_token_validity=Duration.hours(1),
                prevent_user_existence_errors=True,
                enable_token_revocation=True,
            )
            for name in config.agent_clients
        }
        # The UI: signed-in people, authorization code with PKCE, read scope only, no secret.
        callbacks = list(config.ui_callback_urls) or [ui_url]
        self.ui_client = self.user_pool.add_client(
            "UiClient",
            generate_secret=False,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.resource_server(server, self.read_scope),
                ],
                callback_urls=callbacks,
                logout_urls=callbacks,
            ),
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
        )
        self.write_scope_name = f"{RUNTIME.resource_server_id}/{RUNTIME.write_scope}"
        self.read_scope_name = f"{RUNTIME.resource_server_id}/{RUNTIME.read_scope}"
