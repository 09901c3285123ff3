//! AWS clients, built once from `aws-config`'s default chain. Between a deployment and the local
//! emulator only the endpoint override differs.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
// The SDK crates share these types; DynamoDB's re-exports serve Secrets Manager's errors too.
use aws_sdk_dynamodb::config::http::HttpResponse as Response;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

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

/// The SDK configuration with the region and endpoint overrides applied.
pub async fn sdk_config(aws: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    if let Some(region) = &aws.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(endpoint) = &aws.endpoint_url {
        loader = loader.endpoint_url(endpoint.as_str().trim_end_matches('/'));
    }
    loader.load().await
}

/// A DynamoDB client for `aws`.
pub async fn dynamodb(aws: &AwsSettings) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config(aws).await)
}
