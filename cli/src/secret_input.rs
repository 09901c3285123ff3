//! The client secret as the commands take it: `--secret-stdin` (one line of standard input, the
//! safe way) or `--secret S` (visible in shell history and to other local users through `ps`).
//! The value is a [`SecretString`] from the moment it is parsed, so no `Debug` output shows it.

use std::io::{BufRead, IsTerminal};

use authbridge::secrets::{ExposeSecret, SecretString};
use clap::Args;

use crate::error::CliError;

/// Exactly one way of giving the secret (for `clients create`).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RequiredSecret {
    /// Read the client secret from the first line of standard input (preferred).
    #[arg(long)]
    secret_stdin: bool,
    /// The client secret; visible in shell history and `ps`, so prefer --secret-stdin.
    #[arg(long, value_name = "SECRET", value_parser = parse_secret)]
    secret: Option<SecretString>,
}

impl RequiredSecret {
    /// The secret, read from standard input when asked.
    pub fn read(self) -> Result<SecretString, CliError> {
        read(self.secret_stdin, self.secret)?.ok_or(CliError::EmptySecret)
    }
}

/// At most one way of giving a new secret (for `clients update`).
#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub struct NewSecret {
    /// A new client secret from the first line of standard input (preferred); a stored one is
    /// kept usable until the rotation is confirmed.
    #[arg(long)]
    secret_stdin: bool,
    /// A new client secret; visible in shell history and `ps`, so prefer --secret-stdin.
    #[arg(long, value_name = "SECRET", value_parser = parse_secret)]
    secret: Option<SecretString>,
}

impl NewSecret {
    /// The new secret, if one was given.
    pub fn read(self) -> Result<Option<SecretString>, CliError> {
        read(self.secret_stdin, self.secret)
    }
}

fn parse_secret(raw: &str) -> Result<SecretString, String> {
    if raw.is_empty() {
        return Err("the client secret is empty".to_string());
    }
    Ok(SecretString::from(raw))
}

fn read(from_stdin: bool, given: Option<SecretString>) -> Result<Option<SecretString>, CliError> {
    read_value(from_stdin, given, "client secret")
}

/// `given`, or with `from_stdin` the first line of standard input (prompting for `what` on a
/// terminal); an empty value is refused.
pub fn read_value(
    from_stdin: bool,
    given: Option<SecretString>,
    what: &str,
) -> Result<Option<SecretString>, CliError> {
    if !from_stdin {
        return match given {
            Some(value) if value.expose_secret().is_empty() => Err(CliError::EmptySecret),
            other => Ok(other),
        };
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{what} (one line): ");
    }
    read_line(stdin.lock()).map(Some)
}

/// The first line of `input`, without its line ending; an empty line is refused.
fn read_line(mut input: impl BufRead) -> Result<SecretString, CliError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(CliError::Stdin)?;
    let secret = SecretString::from(line.strip_suffix('\n').unwrap_or(&line));
    let secret = match secret.expose_secret().strip_suffix('\r') {
        Some(without_cr) => SecretString::from(without_cr),
        None => secret,
    };
    if secret.expose_secret().is_empty() {
        return Err(CliError::EmptySecret);
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(input: &str) -> Result<String, CliError> {
        read_line(input.as_bytes()).map(|s| s.expose_secret().to_string())
    }

    #[test]
    fn only_the_first_line_is_read_without_its_line_ending() {
        assert_eq!(line("s3cret\nnext\n").ok().as_deref(), Some("s3cret"));
        assert_eq!(line("s3cret\r\n").ok().as_deref(), Some("s3cret"));
        assert_eq!(line("no newline").ok().as_deref(), Some("no newline"));
        assert_eq!(line(" spaces kept ").ok().as_deref(), Some(" spaces kept "));
    }

    #[test]
    fn an_empty_line_or_no_input_is_refused() {
        assert!(matches!(line("\n"), Err(CliError::EmptySecret)));
        assert!(matches!(line(""), Err(CliError::EmptySecret)));
    }
}
