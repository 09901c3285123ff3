//! `--stack NAME` (or `AUTHBRIDGE_STACK`): the configuration of a deployed stack, read from its
//! CloudFormation outputs, so the tool writes client secrets where the stack's functions read them.
//! Which outputs stand for which variables is [`authbridge::stack_outputs`].

use std::collections::HashMap;

use authbridge::config::Env;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use crate::error::CliError;

/// The configuration variables the stack `name` publishes, read with the default AWS credential
/// chain (`AWS_REGION` and `AWS_ENDPOINT_URL` from `env` apply, as for the stores).
pub async fn variables(name: &str, env: &Env<'_>) -> Result<HashMap<String, String>, CliError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(authbridge::aws::http_client());
    if let Some(region) = env.get("AWS_REGION") {
        loader = loader.region(aws_config::Region::new(region));
    }
    if let Some(endpoint) = env.url("AWS_ENDPOINT_URL")? {
        loader = loader.endpoint_url(endpoint.as_str().trim_end_matches('/'));
    }
    let sdk = loader.load().await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "(none)".to_string());
    let client = aws_sdk_cloudformation::Client::new(&sdk);
    let described = client
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| failure(name, &region, &e))?;
    let Some(stack) = described.stacks().first() else {
        return Err(CliError::StackNotFound {
            name: name.to_string(),
            region,
        });
    };
    let outputs: HashMap<String, String> = stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect();
    let missing = authbridge::stack_outputs::missing_required(&outputs);
    if !missing.is_empty() {
        return Err(CliError::StackIncomplete {
            name: name.to_string(),
            status: stack
                .stack_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "unknown".to_string()),
            missing: missing.join(", "),
        });
    }
    Ok(authbridge::stack_outputs::variables(&outputs))
}

/// A failed `DescribeStacks`: a stack that does not exist says so; anything else in one line.
fn failure<E, R>(name: &str, region: &str, err: &SdkError<E, R>) -> CliError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let not_found = err.as_service_error().is_some_and(|e| {
        e.code() == Some("ValidationError")
            && e.message().is_some_and(|m| m.contains("does not exist"))
    });
    if not_found {
        return CliError::StackNotFound {
            name: name.to_string(),
            region: region.to_string(),
        };
    }
    CliError::Stack {
        name: name.to_string(),
        message: authbridge::aws::explain(err),
    }
}
