//! The local stack's demo client: registered once in the embedded store (guid `authbridge-demo`,
//! provider `demo`) with a random secret, and found again on later starts.

use authbridge::clients::{ClientAdmin, ClientAdminError, NewClient};
use authbridge::domain::OAuthClient;
use authbridge::oauth::OAuthContext;
use authbridge::secrets::{ExposeSecret, SecretString};
use rand::distr::{Alphanumeric, SampleString};

/// The demo client's public id at the demo provider.
pub const DEMO_GUID: &str = "authbridge-demo";

/// The demo client and its secret, registering it when absent.
pub async fn demo_client(
    ctx: &OAuthContext,
) -> Result<(OAuthClient, SecretString), ClientAdminError> {
    let admin = ClientAdmin {
        app: &ctx.app,
        providers: &ctx.providers,
    };
    let existing = admin
        .list_all()
        .await?
        .into_iter()
        .find(|c| c.provider == "demo" && c.guid == DEMO_GUID);
    if let Some(client) = existing {
        let name = client.secret_name(&ctx.app.config.secret_prefix);
        if let Some(secret) = ctx.app.secrets.get_secret(&name).await?
            && !secret.expose_secret().is_empty()
        {
            return Ok((client, secret));
        }
        let secret = SecretString::from(Alphanumeric.sample_string(&mut rand::rng(), 40));
        ctx.app.secrets.put_secret(&name, &secret).await?;
        return Ok((client, secret));
    }
    let secret = SecretString::from(Alphanumeric.sample_string(&mut rand::rng(), 40));
    let client = admin
        .create(NewClient {
            provider: "demo".into(),
            guid: DEMO_GUID.into(),
            secret: Some(secret.clone()),
            tenant: None,
            options: Default::default(),
        })
        .await?;
    Ok((client, secret))
}
