//! `authbridge users ...`: local users of the login bridge. Passwords are read from standard
//! input (or, visibly, from `--password`) and stored only as Argon2id hashes; nothing prints a
//! password or a hash.

use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;

use authbridge::domain::{Email, Role};
use authbridge::login::MigrationOptions;
use authbridge::secrets::{ExposeSecret, SecretString};
use authbridge::users::import::{self, ImportSummary};
use authbridge::users::{NewUser, UserAdmin, UserRef};
use clap::{Args, Subcommand};

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::views::UserView;

/// The `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Creates a local user.
    Create(CreateArgs),
    /// Lists every user.
    List,
    /// Shows one user (by id or e-mail address); the password only as its hash format.
    Show {
        /// The user's id or e-mail address.
        user: UserRef,
    },
    /// Stops a user from logging in; its sessions stop working.
    Disable {
        /// The user's id or e-mail address.
        user: UserRef,
    },
    /// Lets a disabled user log in again.
    Enable {
        /// The user's id or e-mail address.
        user: UserRef,
    },
    /// Replaces a user's password.
    SetPassword {
        /// The user's id or e-mail address.
        user: UserRef,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Gives a user a console role (admin, operator or connector): the first administrator is made
    /// so.
    GrantRole {
        /// The user's id or e-mail address.
        user: UserRef,
        /// The role: admin (everything), operator (connections and the migration's progress) or
        /// connector (connecting accounts and their own connections).
        role: Role,
    },
    /// Takes a console role from a user; the console sessions it opened with the role end.
    RevokeRole {
        /// The user's id or e-mail address.
        user: UserRef,
        /// The role: admin, operator or connector.
        role: Role,
    },
    /// Deletes a user and its e-mail, ext_id and WordPress links; its sessions stop working.
    Delete {
        /// The user's id or e-mail address.
        user: UserRef,
    },
    /// Imports users exported from WordPress (JSON lines: ID, user_login, user_email, user_pass,
    /// user_registered, names), with their hashes and links; importing again skips linked users.
    Import {
        /// The JSON-lines file, or - for standard input.
        file: PathBuf,
    },
}

/// Arguments of `users create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The e-mail address the user logs in with.
    #[arg(long)]
    email: Email,
    #[arg(long)]
    first_name: Option<String>,
    #[arg(long)]
    last_name: Option<String>,
    /// An external reference (unique).
    #[arg(long)]
    ext_id: Option<String>,
    #[command(flatten)]
    password: PasswordArgs,
}

/// Exactly one way of giving a password.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct PasswordArgs {
    /// Read the password from the first line of standard input (preferred).
    #[arg(long)]
    password_stdin: bool,
    /// The password; visible in shell history and `ps`, so prefer --password-stdin.
    #[arg(long, value_name = "PASSWORD", value_parser = parse_password)]
    password: Option<SecretString>,
}

fn parse_password(raw: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(raw))
}

impl PasswordArgs {
    fn read(self) -> Result<SecretString, CliError> {
        if let Some(password) = self.password {
            return Ok(password);
        }
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprint!("password (one line): ");
        }
        read_line(stdin.lock())
    }
}

/// The first line of `input` without its line ending.
fn read_line(mut input: impl BufRead) -> Result<SecretString, CliError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(CliError::Stdin)?;
    let password = SecretString::from(line);
    let trimmed = password.expose_secret().trim_end_matches(['\n', '\r']);
    Ok(SecretString::from(trimmed))
}

impl UsersCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let app = deployment::app().await?;
        let admin = UserAdmin {
            users: app.stores.users.as_ref(),
        };
        match self {
            UsersCommand::Create(args) => {
                let password = args.password.read()?;
                let user = admin
                    .create(NewUser {
                        email: args.email,
                        first_name: args.first_name,
                        last_name: args.last_name,
                        ext_id: args.ext_id,
                        password,
                    })
                    .await?;
                out.record(&UserView::from(user))
            }
            UsersCommand::List => {
                let users: Vec<UserView> = admin
                    .list_all()
                    .await?
                    .into_iter()
                    .map(UserView::from)
                    .collect();
                out.list(&users)
            }
            UsersCommand::Show { user } => out.record(&UserView::from(admin.find(&user).await?)),
            UsersCommand::Disable { user } => {
                out.record(&UserView::from(admin.set_active(&user, false).await?))
            }
            UsersCommand::Enable { user } => {
                out.record(&UserView::from(admin.set_active(&user, true).await?))
            }
            UsersCommand::SetPassword { user, password } => {
                let password = password.read()?;
                out.record(&UserView::from(admin.set_password(&user, &password).await?))
            }
            UsersCommand::GrantRole { user, role } => {
                out.record(&UserView::from(admin.grant_role(&user, role).await?))
            }
            UsersCommand::RevokeRole { user, role } => {
                out.record(&UserView::from(admin.revoke_role(&user, role).await?))
            }
            UsersCommand::Delete { user } => {
                let found = admin.find(&user).await?;
                if !app.stores.users.delete_user(&found.id).await? {
                    return Err(authbridge::users::UserAdminError::NotFound(user).into());
                }
                out.outcome(
                    &serde_json::json!({"id": found.id.to_string(), "email": found.email, "deleted": true}),
                    &format!("deleted user {} ({})", found.id, found.email),
                )
            }
            UsersCommand::Import { file } => {
                let options = MigrationOptions::from(&deployment::env())?;
                let summary = if file.as_os_str() == "-" {
                    import::import(admin.users, options, std::io::stdin().lock()).await?
                } else {
                    let opened =
                        std::fs::File::open(&file).map_err(|source| CliError::ImportFile {
                            path: file.clone(),
                            source,
                        })?;
                    import::import(admin.users, options, BufReader::new(opened)).await?
                };
                print_summary(out, &summary)?;
                match summary.not_imported() {
                    0 => Ok(()),
                    n => Err(CliError::NotImported(n)),
                }
            }
        }
    }
}

fn print_summary(out: &Output, summary: &ImportSummary) -> Result<(), CliError> {
    let mut text = format!(
        "created {}, already imported {}, conflicts {}, invalid {}",
        summary.created,
        summary.already_imported,
        summary.conflicts.len(),
        summary.invalid.len()
    );
    for (kind, problems) in [
        ("conflict", &summary.conflicts),
        ("invalid", &summary.invalid),
    ] {
        for problem in problems {
            let id = problem
                .wordpress_id
                .map(|id| format!(" (WordPress ID {id})"))
                .unwrap_or_default();
            text.push_str(&format!(
                "\nline {}{id}: {kind}: {}",
                problem.line, problem.reason
            ));
        }
    }
    out.outcome(summary, &text)
}

impl CreateArgs {
    /// What the audit trail names: the new user's e-mail address.
    pub(super) fn target(&self) -> String {
        self.email.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_line_loses_only_its_line_ending() {
        let read = |input: &str| {
            read_line(input.as_bytes())
                .unwrap()
                .expose_secret()
                .to_string()
        };
        assert_eq!(read("pass word \r\nnext"), "pass word ");
        assert_eq!(read("no newline"), "no newline");
        assert_eq!(read(""), "");
    }
}
