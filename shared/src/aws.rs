//! AWS clients, built once from the environment's credentials (or, in the CLI and the local stack,
//! `aws-config`'s default chain). Between a deployment and the local emulator only the endpoint
//! override differs.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
// The SDK crates share these types; DynamoDB's re-exports serve Secrets Manager's errors too.
use aws_sdk_dynamodb::config::http::HttpResponse as Response;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use crate::config::AwsSettings;

/// One attempt at DynamoDB or Secrets Manager may take this long (their p99 is milliseconds).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(2500);
/// All attempts of one call, retries included, fit in this; the functions' timeouts leave room.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(6);
/// Attempts per call in the SDK's standard retry mode (exponential backoff with jitter, and a
/// retry quota that stops retry storms).
pub const MAX_ATTEMPTS: u32 = 3;

/// The SDK's standard retry mode with [`MAX_ATTEMPTS`].
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// [`ATTEMPT_TIMEOUT`] per attempt, [`OPERATION_TIMEOUT`] per call.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Error codes that mean "busy or failing for now", not "your request is wrong".
const TRANSIENT_CODES: [&str; 8] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "InternalServiceError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// Whether a failed call is worth trying again later: a timeout, a connection that failed or
/// dropped its answer, a 5xx, or throttling.
pub fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, Response>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    }
}

/// The HTTPS client of every AWS call: rustls on *ring* with the bundled trust roots and any
/// private CA ([`crate::tls`]); the system's certificate store is never read.
///
/// It is made on the first request, not at start: the SDK takes trust roots only as PEM, and
/// writing the bundled roots out and the SDK parsing them back was most of a function's init
/// (a function whose request touches no store never pays it). A bad private CA file still stops
/// the start ([`crate::tls::check`], in [`crate::context::AppContext::build`]).
pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(LazyHttpClient::default())
}

/// [`http_client`]'s client, made when the SDK first asks it for a connector.
#[derive(Debug, Default)]
struct LazyHttpClient(OnceLock<SharedHttpClient>);

impl HttpClient for LazyHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0
            .get_or_init(|| crate::tls::process().aws_http_client())
            .http_connector(settings, components)
    }
}

/// The SDK configuration with the region and endpoint overrides applied.
///
/// Where the process environment holds static credentials and a region (as Lambda sets them:
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`), the
/// configuration is made from them alone; the default chain would take them first anyway. The
/// functions are built without the default chain (the `credential-chain` feature): its profile
/// files, SSO, STS, ECS and IMDS clients are a sixth of a function's binary and, built at start,
/// a fifth of its init. The CLI and the local stack have it, for operators' profiles.
pub async fn sdk_config(aws: &AwsSettings) -> aws_config::SdkConfig {
    if aws.region.is_some() && static_credentials_in_env() {
        from_environment(aws)
    } else {
        default_chain(aws).await
    }
}

/// The configuration from the environment's static credentials and `aws`'s region.
fn from_environment(aws: &AwsSettings) -> aws_config::SdkConfig {
    let credentials = aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
        aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
    );
    let mut builder = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .credentials_provider(credentials)
        .region(aws.region.clone().map(aws_config::Region::new));
    if let Some(endpoint) = &aws.endpoint_url {
        builder = builder.endpoint_url(endpoint.as_str().trim_end_matches('/'));
    }
    builder.build()
}

/// The configuration from `aws-config`'s default chain (profiles, SSO, web identity, IMDS...).
#[cfg(feature = "credential-chain")]
async fn default_chain(aws: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    if static_credentials_in_env() {
        loader = loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
    }
    if let Some(region) = &aws.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(endpoint) = &aws.endpoint_url {
        loader = loader.endpoint_url(endpoint.as_str().trim_end_matches('/'));
    }
    loader.load().await
}

/// Without the default chain (a function's build), the environment is the only source: a call
/// made without its credentials or region fails with the SDK's own "no credentials" or
/// "no region" error, which [`explain`] turns into one line.
#[cfg(not(feature = "credential-chain"))]
async fn default_chain(aws: &AwsSettings) -> aws_config::SdkConfig {
    from_environment(aws)
}

/// Whether the process environment holds the static credentials the default chain takes first.
fn static_credentials_in_env() -> bool {
    let set = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY")
}

/// A DynamoDB client for `aws`.
pub async fn dynamodb(aws: &AwsSettings) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config(aws).await)
}

/// One line saying what went wrong with an AWS call and what to check, for an error message or a
/// log line: the service's error code and message, or what stopped the request from being sent.
/// Never the SDK's debug text (headers, raw bodies, nested structs).
pub fn explain<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_sdk_dynamodb::error::SdkError;
    const REACH: &str = "check the network, AWS_REGION and AWS_ENDPOINT_URL";
    const CREDENTIALS: &str =
        "check AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the function's role";
    if mentions_credentials(err) {
        return format!(
            "no usable AWS credentials: {} ({CREDENTIALS})",
            innermost(err)
        );
    }
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("error");
            let message = e.message().unwrap_or("no message");
            match hint(code) {
                Some(hint) => format!("{code}: {message} ({hint})"),
                None => format!("{code}: {message}"),
            }
        }
        SdkError::TimeoutError(_) => format!("timed out waiting for AWS ({REACH})"),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            format!("timed out connecting to AWS ({REACH})")
        }
        SdkError::DispatchFailure(_) => {
            format!("could not reach AWS: {} ({REACH})", innermost(err))
        }
        SdkError::ResponseError(_) => {
            format!("AWS sent an answer that could not be read ({REACH})")
        }
        SdkError::ConstructionFailure(_) => format!(
            "the request could not be built: {} (check AWS_REGION)",
            innermost(err)
        ),
        _ => innermost(err),
    }
}

/// What to check for a service error code, where the code alone does not say it.
fn hint(code: &str) -> Option<&'static str> {
    match code {
        "ResourceNotFoundException" => {
            Some("check the table or secret name (AUTHBRIDGE_TABLE or --stack) and AWS_REGION")
        }
        "AccessDeniedException" | "AccessDenied" => {
            Some("check the IAM permissions of the credentials in use")
        }
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "ExpiredTokenException" => Some("check the AWS credentials in use"),
        _ => None,
    }
}

/// The message of the deepest error in the chain: the one that says what actually happened.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Whether loading credentials is what failed (the SDK reports it as a dispatch failure).
fn mentions_credentials(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.to_string().contains("loading credentials")
            || e.to_string().contains("credentials provider")
        {
            return true;
        }
        current = e.source();
    }
    false
}
