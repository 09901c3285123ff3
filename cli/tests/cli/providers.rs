//! `authbridge providers ...` and the commands that need no store.

use crate::support::Deployment;

#[test]
fn providers_list_shows_the_shipped_providers_sorted() {
    let deployment = Deployment::new();
    let table = deployment.run(&["providers", "list"]).ok();
    for name in ["ms-exchange", "gmail", "github", "demo"] {
        assert!(
            table.stdout.contains(&format!("| {name} ")),
            "{}",
            table.stdout
        );
    }
    assert!(table.stdout.starts_with("+---"), "{}", table.stdout);

    let json = deployment.run(&["providers", "list", "--json"]).ok().json();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "demo",
        "github",
        "gmail",
        "ms-exchange",
        "salesforce",
        "zoho",
        "shopify",
    ] {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(json[0]["title"].as_str().is_some_and(|t| !t.is_empty()));
}

#[test]
fn create_table_needs_aws_configuration() {
    let deployment = Deployment::new();
    let run = deployment.run(&["create-table", "--name", "t"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("AUTHBRIDGE_TABLE"), "{}", run.stderr);
}

#[test]
fn providers_show_prints_the_resolved_definition_with_its_quirks() {
    let deployment = Deployment::new();
    let json = deployment
        .run(&["providers", "show", "shopify", "--json"])
        .ok()
        .json();
    assert_eq!(
        json["authorize_url"],
        "https://{{connection.shop}}.myshopify.com/admin/oauth/authorize"
    );
    assert_eq!(
        json["connection_values"]["shop"]["from"],
        "parameter (start)"
    );
    assert_eq!(json["scope_separator"], ",");
    let table = deployment.run(&["providers", "show", "zoho"]).ok();
    assert!(
        table
            .stdout
            .contains("captures `accounts-server` from the redirect"),
        "{}",
        table.stdout
    );
    let run = deployment.run(&["providers", "show", "yahoo"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("unknown provider"), "{}", run.stderr);
}

#[test]
fn providers_table_prints_the_catalogue_in_markdown() {
    let deployment = Deployment::new();
    let run = deployment.run(&["providers", "table", "--markdown"]).ok();
    assert!(
        run.stdout
            .starts_with("| Provider | Title | Quirks | Documentation |")
    );
    assert!(
        run.stdout.contains("| `salesforce` | Salesforce |"),
        "{}",
        run.stdout
    );
}
