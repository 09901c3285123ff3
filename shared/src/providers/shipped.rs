//! The provider files compiled into the binary: the catalogue in `shared/providers/`, one file per
//! provider, each written from that provider's own documentation (its `documentation` key). A test
//! holds this list to the folder, so a file cannot be added without shipping it.

/// `(name, "shared/providers/<name>.json")` for every file of the catalogue.
macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../providers/", $name, ".json")))),*]
    };
}

/// The providers compiled into the binary, by name, sorted.
pub(super) const SHIPPED: [(&str, &str); 29] = shipped![
    "asana",
    "atlassian",
    "box",
    "calendly",
    "demo",
    "dropbox",
    "github-app",
    "github",
    "gitlab",
    "gmail",
    "google",
    "hubspot",
    "intercom",
    "keycloak",
    "linkedin",
    "mailchimp",
    "microsoft-graph",
    "ms-exchange",
    "notion",
    "okta",
    "pipedrive",
    "quickbooks",
    "salesforce",
    "shopify",
    "slack",
    "xero",
    "zendesk",
    "zoho",
    "zoom",
];
