//! AWS clients, built once from `aws-config`'s default chain. Between a deployment and the local
//! emulator only the endpoint override differs.

use crate::config::AwsSettings;

/// The SDK configuration with the region and endpoint overrides applied.
pub async fn sdk_config(aws: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
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
