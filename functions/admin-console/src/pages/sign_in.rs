//! The sign-in page.

use maud::{Markup, html};

use super::{Nav, layout};

/// The sign-in form, with `problem` said above it when the last attempt failed.
pub fn page(nav: &Nav<'_>, problem: Option<&str>, name: Option<&str>) -> Markup {
    let body = html! {
        @if let Some(problem) = problem {
            p #problem role="alert" { (problem) }
        }
        p { "Sign in with your authbridge account. Only accounts with a console role may enter." }
        form #sign-in method="post" action=(nav.to("sign-in")) {
            label for="email" { "E-mail address" }
            input #email type="text" name="email" autocomplete="username" required value=(name.unwrap_or(""));
            label for="password" { "Password" }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { "Sign in" }
        }
    };
    layout(nav, "Sign in", body)
}
