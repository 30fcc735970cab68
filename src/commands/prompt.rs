//! `restore --password prompt`: a password typed twice on the terminal and never echoed.
//!
//! `rpassword` reads and edits the line (Backspace, Ctrl-U, Ctrl-W; arrow keys and other
//! control keys are dropped; Enter or a line feed ends it). Two things stay ours:
//! - the terminal goes raw before the prompt shows, so a key typed the moment it appears is
//!   not echoed (`rpassword`'s own prompt shows first and turns echo off after);
//! - what it reads: at most `MAX_TYPED` bytes, so a paste without end cannot fill memory, and
//!   Ctrl-C as an error (`rpassword` would raise SIGINT, ending us with the terminal raw).

use std::io::{self, Read, Write};

use secrecy::{ExposeSecret, SecretString};

/// The most one prompt reads, edits and line break included: the cap of `--password stdin`.
pub const MAX_TYPED: usize = super::password::MAX_PASSWORD_LINE;

/// Asks twice. `Ok(Err(why))` is a usage error in words (the two differ, one is too long);
/// `Err` an I/O error or Ctrl-C (`ErrorKind::Interrupted`).
pub fn prompt_password() -> io::Result<Result<SecretString, String>> {
    let first = match read_hidden("New password: ")? {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    let again = match read_hidden("Type it again: ")? {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    if first.expose_secret() != again.expose_secret() {
        return Ok(Err("the two passwords typed differ".into()));
    }
    Ok(Ok(first))
}

fn read_hidden(prompt: &str) -> io::Result<Result<SecretString, String>> {
    let raw = Raw::on()?;
    let mut err = io::stderr();
    write!(err, "{prompt}")?;
    err.flush()?;
    let config = rpassword::ConfigBuilder::new()
        .input_reader(Typed::new(terminal()?))
        .output_discard()
        .password_feedback_hide()
        .build();
    let read = rpassword::read_password_with_config(config);
    // Off before anything more is written: the line break below needs the terminal cooked.
    drop(raw);
    writeln!(err)?;
    match read {
        Ok(p) => Ok(Ok(SecretString::from(p))),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(Err(format!(
            "--password prompt: a password typed is longer than {MAX_TYPED} bytes \
             (a password has at most 256 characters)"
        ))),
        Err(e) => Err(e),
    }
}

/// The terminal, read byte by byte without a buffer of ours, so nothing typed after the line
/// is taken from the next prompt.
fn terminal() -> io::Result<std::fs::File> {
    #[cfg(unix)]
    let path = "/dev/tty";
    #[cfg(not(unix))]
    let path = "CONIN$";
    std::fs::OpenOptions::new().read(true).open(path)
}

/// Raw mode for as long as it lives.
struct Raw;

impl Raw {
    fn on() -> io::Result<Self> {
        crossterm::terminal::enable_raw_mode()?;
        Ok(Raw)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

const CTRL_C: u8 = 0x03;

/// What `rpassword` reads: Ctrl-C becomes `Interrupted`, and past `MAX_TYPED` bytes the input
/// is `InvalidData`.
struct Typed<R> {
    inner: R,
    left: usize,
}

impl<R> Typed<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            left: MAX_TYPED,
        }
    }
}

impl<R: Read> Read for Typed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "too long"));
        }
        let room = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..room])?;
        if buf[..n].contains(&CTRL_C) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        self.left -= n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> io::Result<String> {
        let config = rpassword::ConfigBuilder::new()
            .input_reader(Typed::new(io::Cursor::new(input.to_vec())))
            .output_discard()
            .build();
        rpassword::read_password_with_config(config)
    }

    #[test]
    fn a_line_is_read_with_its_edits() {
        assert_eq!(
            read(b"Kiwi-Moon-41#x\n").ok().as_deref(),
            Some("Kiwi-Moon-41#x")
        );
        assert_eq!(read(b"Kiwi\x7f\x7fwi\r").ok().as_deref(), Some("Kiwi"));
        // An arrow key is not part of a password.
        assert_eq!(read(b"ab\x1b[Dc\n").ok().as_deref(), Some("abc"));
    }

    #[test]
    fn ctrl_c_cancels_instead_of_raising_sigint() {
        let e = read(b"abc\x03def\n").err();
        assert_eq!(e.map(|e| e.kind()), Some(io::ErrorKind::Interrupted));
    }

    #[test]
    fn more_than_the_cap_is_refused_and_the_cap_itself_is_not() {
        let mut at_cap = vec![b'a'; MAX_TYPED - 1];
        at_cap.push(b'\n');
        assert_eq!(read(&at_cap).map(|p| p.len()).ok(), Some(MAX_TYPED - 1));
        let over = vec![b'a'; MAX_TYPED + 1];
        let e = read(&over).err();
        assert_eq!(e.map(|e| e.kind()), Some(io::ErrorKind::InvalidData));
    }
}
