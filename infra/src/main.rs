//! `authbridge-local`: the local stack on `http://127.0.0.1:3000`, on the embedded store by default,
//! with the local-only `demo` provider and a demo client registered, so a person can click through
//! the whole authorization-code flow in a browser.

use std::net::SocketAddr;
use std::sync::Arc;

use authbridge::config::Env;
use authbridge::console::ConsoleSettings;
use authbridge::login::LoginSettings;
use authbridge::oauth::OAuthContext;
use authbridge_infra::demo::{DemoClient, DemoProvider};
use authbridge_infra::index::{self, IndexPage};
use authbridge_infra::{demo_setup, json_errors, openapi, stack};
use clap::Parser;

/// Runs every authbridge function behind one local HTTP endpoint.
#[derive(Debug, Parser)]
#[command(name = "authbridge-local", version)]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, env = "AUTHBRIDGE_PORT", default_value_t = 3000)]
    port: u16,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    authbridge::telemetry::init();
    let args = Args::parse();
    // The public URL follows the port (a flag may differ from the environment).
    let port = args.port.to_string();
    let env = Env::from_fn(|name| match name {
        "AUTHBRIDGE_PORT" => Some(port.clone()),
        other => std::env::var(other).ok(),
    });
    let oauth = OAuthContext::from(&env).await?;
    // The demo provider is local-only: the aws backend does not load it, and the stack runs
    // without the demo there.
    let demo = if oauth.providers.contains(DEMO_PROVIDER) {
        Some(demo(&oauth).await?)
    } else {
        None
    };
    let login_settings = LoginSettings::from(&env, &oauth.app.config)?;
    warn_without_wordpress_token(&oauth, &login_settings).await;
    let login = login_authenticate::Context::new(&oauth.app, &login_settings)?;
    let stack = stack::LocalStack::new(oauth, login, login_settings.migration.ext_id_referencing);
    let console = admin_console::Context::new(
        stack.oauth.clone(),
        &login_settings,
        ConsoleSettings::from(&env)?,
    )?;
    let stack = Arc::new(stack.with_console(console));
    let mut app = index::router(IndexPage {
        stack: stack.clone(),
        demo_client_id: demo.as_ref().map(|(id, _)| id.clone()),
    });
    if let Some((_, provider)) = demo {
        app = app.merge(provider.router());
    }
    let app = app
        .merge(openapi::router())
        .merge(stack::router(stack))
        .layer(axum::middleware::map_response(json_errors::as_json));
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::AddrInUse {
                format!(
                    "port {} on 127.0.0.1 is in use (another local stack?); choose another with --port N or AUTHBRIDGE_PORT",
                    args.port
                )
            } else {
                format!("cannot listen on {addr}: {e}")
            };
            eprintln!("error: {why}");
            std::process::exit(1);
        }
    };
    println!("authbridge local stack on http://{addr}/  (Ctrl-C to stop)");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    Ok(())
}

/// The provider the demo client belongs to.
const DEMO_PROVIDER: &str = "demo";

/// The demo client (registered when absent) and the demo provider serving it: the client's id and
/// the provider.
async fn demo(
    oauth: &OAuthContext,
) -> Result<(String, Arc<DemoProvider>), Box<dyn std::error::Error + Send + Sync>> {
    let (demo, demo_secret) = demo_setup::demo_client(oauth).await?;
    let public_url = oauth
        .settings
        .public_url
        .clone()
        .ok_or("the local stack needs a public URL")?;
    let redirect_url = oauth
        .settings
        .redirect_url
        .clone()
        .ok_or("the local stack needs a return URL")?;
    let provider = Arc::new(DemoProvider::new(
        DemoClient {
            client_id: demo.guid.clone(),
            client_secret: demo_secret,
            redirect_uri: redirect_url.to_string(),
        },
        &public_url,
    ));
    Ok((demo.id.to_string(), provider))
}

/// With the WordPress fallback on, says at start when the plugin's token is not in the secret
/// store: every fallback login would answer 503 until it is.
async fn warn_without_wordpress_token(oauth: &OAuthContext, settings: &LoginSettings) {
    let Some(wordpress) = &settings.wordpress else {
        return;
    };
    match oauth.app.secrets.get_secret(&wordpress.token_secret).await {
        Ok(Some(_)) => println!(
            "WordPress fallback on: {} (token in secret {})",
            wordpress.endpoint(),
            wordpress.token_secret
        ),
        Ok(None) => eprintln!(
            "warning: the WordPress fallback is on (AUTHBRIDGE_WP_FALLBACK) but the secret {:?} holds no token: every login that needs WordPress will answer 503 until you run\n    authbridge wordpress set-token --stdin\n(with the plugin's DN_REMP_WP_AUTH_TOKEN or AUTHBRIDGE_AUTH_TOKEN on standard input)",
            wordpress.token_secret
        ),
        Err(e) => eprintln!("warning: could not read the WordPress token secret: {e}"),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
