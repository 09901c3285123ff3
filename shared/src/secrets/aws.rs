//! Secrets in AWS Secrets Manager.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
use secrecy::{ExposeSecret, SecretString};

use super::{SecretError, SecretStore};

/// Secrets Manager, through a client built once at cold start.
#[derive(Clone)]
pub struct SecretsManagerStore {
    client: Client,
}

impl SecretsManagerStore {
    pub fn new(client: Client) -> Self {
        SecretsManagerStore { client }
    }
}

fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

fn fail<E>(context: &'static str, name: &str, err: SdkError<E, HttpResponse>) -> SecretError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    if crate::aws::is_transient(&err) {
        return SecretError::Unavailable {
            context,
            name: name.to_string(),
            message: crate::aws::explain(&err),
        };
    }
    SecretError::backend(context, name, crate::aws::explain(&err))
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn put_secret(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        let created = self
            .client
            .create_secret()
            .name(name)
            .secret_string(value.expose_secret())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some("ResourceExistsException") => self
                .client
                .put_secret_value()
                .secret_id(name)
                .secret_string(value.expose_secret())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| fail("replacing a secret", name, e)),
            Err(e) => Err(fail("creating a secret", name, e)),
        }
    }

    async fn create_secret(&self, name: &str, value: &SecretString) -> Result<bool, SecretError> {
        match self
            .client
            .create_secret()
            .name(name)
            .secret_string(value.expose_secret())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("ResourceExistsException") => Ok(false),
            Err(e) => Err(fail("creating a secret", name, e)),
        }
    }

    async fn get_secret(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        match self.client.get_secret_value().secret_id(name).send().await {
            Ok(out) => Ok(out.secret_string.map(SecretString::from)),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(None),
            // A secret scheduled for deletion reads as absent.
            Err(e) if code(&e) == Some("InvalidRequestException") => Ok(None),
            Err(e) => Err(fail("reading a secret", name, e)),
        }
    }

    async fn list_secrets(&self, prefix: &str) -> Result<Vec<String>, SecretError> {
        let mut names = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut request = self.client.list_secrets().max_results(100);
            if !prefix.is_empty() {
                request = request.filters(
                    Filter::builder()
                        .key(FilterNameStringType::Name)
                        .values(prefix)
                        .build(),
                );
            }
            let page = request
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| fail("listing secrets", prefix, e))?;
            names.extend(
                page.secret_list()
                    .iter()
                    .filter_map(|entry| entry.name())
                    // The name filter matches words of the name too: keep true prefixes only.
                    .filter(|name| name.starts_with(prefix))
                    .map(str::to_string),
            );
            match page.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => break,
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn changed_at(&self, name: &str) -> Result<Option<crate::clock::Epoch>, SecretError> {
        match self.client.describe_secret().secret_id(name).send().await {
            Ok(out) => Ok(out.last_changed_date.or(out.created_date).map(|d| d.secs())),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(fail("describing a secret", name, e)),
        }
    }

    async fn delete_secret(&self, name: &str) -> Result<bool, SecretError> {
        match self
            .client
            .delete_secret()
            .secret_id(name)
            .recovery_window_in_days(7)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(false),
            Err(e) => Err(fail("deleting a secret", name, e)),
        }
    }
}
