//! The sandbox's first-launch panel: where you are, that nothing real changes, the three keys
//! of the job and the command for a real tenant. Shown until a key dismisses it once; a
//! marker in the data dir remembers that (the runner writes it), and `?` shows it again.

use std::path::Path;

/// The file in the data dir that says the panel was dismissed.
pub const MARKER: &str = "welcome-dismissed";

pub const TITLE: &str = " Welcome · SANDBOX: demo data ";

/// What the sandbox is, in words.
pub const ABOUT: &str = "This is demo data: made-up users in a local store on this machine. \
     Restores, passwords, mail and purges here change nothing real.";

/// The keys that do the main job, in the order it is done.
pub const KEYS: &[(&str, &str)] = &[
    ("/", "find a user by name"),
    (
        "Space",
        "mark this user and move on, to restore several together",
    ),
    ("Enter", "restore the marked users, or this one"),
];

pub const CONNECT: &str = "To work on your real tenant, quit and run:";

/// The one command that connects a real tenant: the TUI signs in with a device code itself.
pub const COMMAND: &str = "undelete --tenant YOUR-TENANT.onmicrosoft.com";

pub const DISMISS: &str = "Any key to start · ? shows this again";

/// Whether the panel was dismissed before in this data dir.
pub fn dismissed(data_dir: &Path) -> bool {
    data_dir.join(MARKER).exists()
}

/// Remembers that the panel was dismissed, so later runs start on the table.
pub fn remember(data_dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(
        data_dir.join(MARKER),
        "The sandbox's first-launch panel was dismissed; delete this file to see it again.\n",
    )
}

/// The panel's facts as help lines (label, text), for the `?` overlay on the sandbox.
pub fn help_lines() -> Vec<(String, String)> {
    let mut out = vec![
        (
            "what it is".to_string(),
            "demo data: made-up users in a local store on this machine".to_string(),
        ),
        (
            "is it real?".to_string(),
            "no: restores, passwords, mail and purges change nothing real".to_string(),
        ),
    ];
    out.extend(KEYS.iter().map(|(k, h)| (k.to_string(), h.to_string())));
    out.push(("your tenant".to_string(), COMMAND.to_string()));
    out.push((
        "start over".to_string(),
        "undelete sandbox reset (the demo data as new)".to_string(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dismissed_once_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested");
        assert!(!dismissed(&data));
        remember(&data).unwrap();
        assert!(dismissed(&data));
    }
}
