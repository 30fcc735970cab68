//! Where a restored user's sign-in comes from: `--password auto|prompt|stdin`, or a
//! Temporary Access Pass (`--hand-off tap`).

use secrecy::SecretString;

use super::Io;
use super::args::{PasswordSource, TapArgs};
use crate::directory::Directory;
use crate::restore::{self, Lifetime, PassProblem, PasswordChoice};

/// The sign-in the restored users get: a pass with `--hand-off tap` (which takes no
/// `--password`), otherwise the password `--password` says. `Ok(Err(why))` is a usage error.
pub(super) async fn choose(
    dir: &dyn Directory,
    tap: Option<TapArgs>,
    source: PasswordSource,
    io: &mut Io<'_>,
) -> color_eyre::Result<Result<PasswordChoice, String>> {
    Ok(match (tap, source) {
        (Some(tap), PasswordSource::Auto) => tap_choice(dir, tap).await,
        (Some(_), _) => {
            Err("--hand-off tap issues a pass instead of a password: drop --password".into())
        }
        (None, source) => read_password(source, io)?,
    })
}

/// The most `--password stdin` reads of its line, line break included.
pub(super) const MAX_PASSWORD_LINE: usize = 1024;

/// Where the password comes from, as `--password` says; `Err` is a usage error in words.
pub(super) fn read_password(
    source: PasswordSource,
    io: &mut Io<'_>,
) -> color_eyre::Result<Result<PasswordChoice, String>> {
    Ok(match source {
        PasswordSource::Auto => Ok(PasswordChoice::Auto),
        PasswordSource::Stdin => {
            // Zeroed when dropped: the line holds the password. Room for the longest line
            // read, so the buffer never moves and leaves a copy behind; and a bounded read, so
            // `< /dev/zero` is refused instead of filling memory.
            let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(MAX_PASSWORD_LINE + 1));
            std::io::BufRead::read_until(
                &mut std::io::Read::take(&mut *io.input, MAX_PASSWORD_LINE as u64 + 1),
                b'\n',
                &mut raw,
            )?;
            if raw.len() > MAX_PASSWORD_LINE {
                return Ok(Err(format!(
                    "--password stdin: the first line of standard input is longer than \
                     {MAX_PASSWORD_LINE} bytes (a password has at most 256 characters)"
                )));
            }
            match std::str::from_utf8(&raw) {
                Err(_) => Err(
                    "--password stdin: the first line of standard input is not UTF-8 \
                               text"
                        .to_string(),
                ),
                Ok(line) => {
                    let p = line.trim_end_matches(['\r', '\n']);
                    if p.is_empty() {
                        Err("--password stdin: the first line of standard input is empty".into())
                    } else {
                        Ok(PasswordChoice::Given(SecretString::from(p)))
                    }
                }
            }
        }
        PasswordSource::Prompt => {
            if !io.term.stdin {
                Err("--password prompt needs a terminal; use --password stdin in scripts".into())
            } else {
                super::prompt::prompt_password()?.map(PasswordChoice::Given)
            }
        }
    })
}

/// `--hand-off tap`: the pass's terms, from the flags and the tenant's policy; `Err` says why
/// no pass can be issued here (the policy, our permissions, the cloud) or what is wrong.
async fn tap_choice(dir: &dyn Directory, tap: TapArgs) -> Result<PasswordChoice, String> {
    let availability = dir.tap_availability().await;
    let lifetime = tap
        .lifetime
        .map_or(Lifetime::PolicyDefault, Lifetime::Minutes);
    match restore::pass_terms(Some(&availability), lifetime, tap.once) {
        Ok(terms) => Ok(PasswordChoice::Tap(terms)),
        Err(PassProblem::Unavailable(why)) => Err(format!(
            "--hand-off tap: no Temporary Access Pass can be issued: {why}"
        )),
        Err(PassProblem::Lifetime(why)) => Err(format!("--tap-lifetime: {why}")),
    }
}
