//! The providers page's data: the registry's definitions and the number of clients of each.

use std::collections::HashMap;

use authbridge::clients::ClientAdmin;
use authbridge::console::{ConsoleError, SignedIn};
use authbridge::domain::Permission;
use maud::Markup;

use crate::Context;
use crate::pages::Nav;
use crate::pages::providers::{ProviderRow, page};

/// The providers page; needs `clients`.
pub async fn show(
    context: &Context,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::Clients)?;
    let oauth = &context.oauth;
    let admin = ClientAdmin {
        app: &oauth.app,
        providers: &oauth.providers,
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for client in admin.list_all().await? {
        *counts.entry(client.provider).or_default() += 1;
    }
    let rows: Vec<ProviderRow> = oauth
        .providers
        .list()
        .into_iter()
        .filter_map(|(name, title)| {
            let definition = oauth.providers.get(name)?;
            let options = &definition.options;
            Some(ProviderRow {
                name: name.to_string(),
                title: title.to_string(),
                shipped: oauth.providers.is_shipped(name),
                authorize: options.url_authorize.clone(),
                token: options.url_access_token.clone(),
                revoke: options.url_revoke_token.clone(),
                issuer: definition.issuer.clone(),
                scopes: options.scopes.clone().unwrap_or_default(),
                tenancy: options.tenancy.unwrap_or(false),
                mail_template: definition.mail_settings_template.is_some(),
                clients: counts.get(name).copied().unwrap_or(0),
            })
        })
        .collect();
    Ok(page(nav, &rows))
}
