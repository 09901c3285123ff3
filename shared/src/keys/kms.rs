//! Data keys wrapped by an AWS KMS key (envelope encryption): `GenerateDataKey` makes each
//! version's key, `Decrypt` unwraps it; the KMS key itself never leaves KMS.
//!
//! KMS is called through its JSON API (`TrentService.*`, SigV4-signed with the SDK's credentials
//! and the outbound TLS of [`crate::tls`]) rather than the `aws-sdk-kms` crate: two operations do
//! not justify a third generated SDK in binaries that must stay under 8 MB.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::zeroize::Zeroize;
use serde_json::{Value, json};
use url::Url;

use super::KeyError;
use super::wrap::{DataKey, KeyWrapper};
use crate::domain::KeyNumber;

/// The encryption context of every data key (KMS binds it to the wrapped key, and CloudTrail
/// shows it): the purpose and the version number.
fn context(number: KeyNumber) -> Value {
    json!({ "purpose": "authbridge token data key", "key_version": number.to_string() })
}

/// A KMS key, reached through its JSON API.
#[derive(Clone)]
pub struct KmsWrapper {
    key_id: String,
    endpoint: Url,
    region: String,
    credentials: SharedCredentialsProvider,
    http: reqwest::Client,
}

impl std::fmt::Debug for KmsWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KmsWrapper {{ key_id: {:?}, endpoint: {} }}",
            self.key_id, self.endpoint
        )
    }
}

impl KmsWrapper {
    /// The KMS key `key_id` (an id, ARN or `alias/...`) with the SDK configuration's region and
    /// credentials; `endpoint` overrides `https://kms.<region>.amazonaws.com` (the emulator).
    pub fn new(
        sdk: &aws_config::SdkConfig,
        key_id: &str,
        endpoint: Option<&Url>,
    ) -> Result<Self, KeyError> {
        let unusable = |reason: &str| KeyError::Kms {
            operation: "setting up",
            message: reason.to_string(),
            transient: false,
        };
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| unusable("no AWS region is set (AWS_REGION)"))?;
        let credentials = sdk
            .credentials_provider()
            .ok_or_else(|| unusable("no AWS credentials provider"))?;
        let endpoint = match endpoint {
            Some(url) => url.clone(),
            None => Url::parse(&format!("https://kms.{region}.amazonaws.com/"))
                .map_err(|e| unusable(&e.to_string()))?,
        };
        let http = crate::tls::process()
            .reqwest_builder()
            .timeout(crate::aws::ATTEMPT_TIMEOUT)
            .build()
            .map_err(|e| unusable(&e.to_string()))?;
        Ok(KmsWrapper {
            key_id: key_id.to_string(),
            endpoint,
            region,
            credentials,
            http,
        })
    }

    /// One KMS operation, tried up to [`crate::aws::MAX_ATTEMPTS`] times while the failure is
    /// transient.
    async fn call(&self, operation: &'static str, body: Value) -> Result<Value, KeyError> {
        let mut attempt = 1;
        loop {
            match self.call_once(operation, &body).await {
                Err(KeyError::Kms {
                    transient: true, ..
                }) if attempt < crate::aws::MAX_ATTEMPTS => {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn call_once(&self, operation: &'static str, body: &Value) -> Result<Value, KeyError> {
        let failed = |message: String, transient: bool| KeyError::Kms {
            operation,
            message,
            transient,
        };
        let body = serde_json::to_vec(body).map_err(|e| failed(e.to_string(), false))?;
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| failed(format!("no AWS credentials: {e}"), true))?;
        let identity = Identity::from(credentials);
        let target = format!("TrentService.{operation}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("kms")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| failed(e.to_string(), false))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| failed(e.to_string(), false))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| failed(e.to_string(), false))?
            .into_parts();
        let mut request = self.http.post(self.endpoint.clone());
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| failed(format!("KMS did not answer: {e}"), true))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| failed(format!("KMS answered {status} unreadably: {e}"), true))?;
        if status.is_success() {
            return Ok(answer);
        }
        let code = answer
            .get("__type")
            .and_then(Value::as_str)
            .map(|t| t.rsplit('#').next().unwrap_or(t))
            .unwrap_or("unknown");
        let message = answer
            .get("message")
            .or_else(|| answer.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let transient = status.is_server_error()
            || matches!(
                code,
                "ThrottlingException" | "KMSInternalException" | "DependencyTimeoutException"
            );
        Err(failed(format!("{code}: {message} ({status})"), transient))
    }

    /// Makes a symmetric KMS key and answers its id: for the emulator and the tests (on AWS the
    /// template makes the key, or the operator names one).
    pub async fn create_key(&self, description: &str) -> Result<String, KeyError> {
        let answer = self
            .call("CreateKey", json!({ "Description": description }))
            .await?;
        answer
            .pointer("/KeyMetadata/KeyId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| KeyError::Kms {
                operation: "CreateKey",
                message: "the answer has no key id".into(),
                transient: false,
            })
    }

    /// The same endpoint and credentials with another key.
    pub fn with_key(&self, key_id: &str) -> Self {
        KmsWrapper {
            key_id: key_id.to_string(),
            ..self.clone()
        }
    }

    /// The bytes of a base64 field of a KMS answer.
    fn field(operation: &'static str, answer: &Value, name: &str) -> Result<Vec<u8>, KeyError> {
        answer
            .get(name)
            .and_then(Value::as_str)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .ok_or_else(|| KeyError::Kms {
                operation,
                message: format!("the answer has no {name}"),
                transient: false,
            })
    }

    fn data_key(operation: &'static str, mut answer: Value) -> Result<DataKey, KeyError> {
        let mut plain = Self::field(operation, &answer, "Plaintext")?;
        if let Some(Value::String(s)) = answer.get_mut("Plaintext") {
            s.zeroize();
        }
        let key = DataKey::from_bytes(&plain);
        plain.zeroize();
        key
    }
}

#[async_trait]
impl KeyWrapper for KmsWrapper {
    fn label(&self) -> String {
        format!("kms:{}", self.key_id)
    }

    async fn generate(&self, number: KeyNumber) -> Result<(DataKey, Vec<u8>), KeyError> {
        let operation = "GenerateDataKey";
        let answer = self
            .call(
                operation,
                json!({
                    "KeyId": self.key_id,
                    "KeySpec": "AES_256",
                    "EncryptionContext": context(number),
                }),
            )
            .await?;
        let wrapped = Self::field(operation, &answer, "CiphertextBlob")?;
        Ok((Self::data_key(operation, answer)?, wrapped))
    }

    async fn unwrap(&self, number: KeyNumber, wrapped: &[u8]) -> Result<DataKey, KeyError> {
        let operation = "Decrypt";
        let answer = self
            .call(
                operation,
                json!({
                    "KeyId": self.key_id,
                    "CiphertextBlob": STANDARD.encode(wrapped),
                    "EncryptionContext": context(number),
                }),
            )
            .await?;
        Self::data_key(operation, answer)
    }
}
