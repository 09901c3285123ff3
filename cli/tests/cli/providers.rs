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
    assert_eq!(names, ["demo", "github", "gmail", "ms-exchange"]);
    assert!(json[0]["title"].as_str().is_some_and(|t| !t.is_empty()));
}

#[test]
fn create_table_needs_aws_configuration() {
    let deployment = Deployment::new();
    let run = deployment.run(&["create-table", "--name", "t"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("AUTHBRIDGE_TABLE"), "{}", run.stderr);
}
