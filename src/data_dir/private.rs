//! Private folders and files: created owner-only, refused when others may write to them, and
//! opened without following a symbolic link.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// A folder undelete will not work in, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing the folder {path}: {why}")]
pub struct Unsafe {
    pub path: PathBuf,
    pub why: String,
}

impl From<Unsafe> for io::Error {
    fn from(e: Unsafe) -> Self {
        io::Error::new(io::ErrorKind::PermissionDenied, e.to_string())
    }
}

/// The data dir, made ready for a run: created (0700, with any missing parents) when missing,
/// and refused when it is not a folder of the current user that only it may write to.
pub fn prepare(data_dir: &Path) -> io::Result<()> {
    create_private(data_dir, true)
}

/// Creates `dir` (and missing parents) owner-only, then checks it. `follow`: the folder may
/// be reached through a symbolic link (the data dir may live elsewhere); folders undelete
/// makes inside it may not.
pub fn create_private(dir: &Path, follow: bool) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => make_dirs(dir)?,
        Err(e) => return Err(e),
    }
    check_private(dir, follow).map_err(io::Error::from)
}

#[cfg(unix)]
fn make_dirs(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn make_dirs(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Whether `dir` is a folder owned by the current user that no group or other user may write
/// to (and, unless `follow`, not a symbolic link). A folder that cannot be read at all is an
/// error of its own, said as the system says it.
#[cfg(unix)]
pub fn check_private(dir: &Path, follow: bool) -> Result<(), Unsafe> {
    use std::os::unix::fs::MetadataExt;
    let refuse = |why: String| Unsafe {
        path: dir.to_path_buf(),
        why,
    };
    let link =
        std::fs::symlink_metadata(dir).map_err(|e| refuse(format!("it cannot be read ({e})")))?;
    if link.file_type().is_symlink() && !follow {
        return Err(refuse(
            "it is a symbolic link, and undelete does not follow links inside its data dir".into(),
        ));
    }
    let meta = std::fs::metadata(dir).map_err(|e| refuse(format!("it cannot be read ({e})")))?;
    if !meta.is_dir() {
        return Err(refuse("it is not a folder".into()));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(refuse(format!(
            "it belongs to user id {}, not to you (user id {me}); the journal and the audit log \
             must live in a folder only you control (pass --data-dir with one of yours)",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(refuse(format!(
            "others may write to it (mode {mode:04o}), and could plant links where the journal \
             goes; run `chmod go-w {}` (or 700) and try again",
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(dir: &Path, _follow: bool) -> Result<(), Unsafe> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Unsafe {
            path: dir.to_path_buf(),
            why: "it is not a folder".into(),
        }),
        Err(e) => Err(Unsafe {
            path: dir.to_path_buf(),
            why: format!("it cannot be read ({e})"),
        }),
    }
}

/// Opens `path` with `options`, refusing a symbolic link (`O_NOFOLLOW`): a link planted where
/// a book goes must not make us write through it. New files are created 0600.
pub fn open_nofollow(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .mode(0o600);
        options.open(path).map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "refusing {}: it is a symbolic link, and undelete never writes its books \
                         through one (remove the link)",
                        path.display()
                    ),
                )
            } else {
                e
            }
        })
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_dir_and_its_parents_are_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/undelete");
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        // Again: an existing private folder is fine as it is.
        prepare(&dir).unwrap();
    }

    #[test]
    fn a_folder_others_may_write_to_is_refused_in_words() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("open");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = prepare(&dir).unwrap_err().to_string();
        assert!(e.starts_with("refusing the folder "), "{e}");
        assert!(e.contains("others may write to it (mode 0777)"), "{e}");
        assert!(e.contains("chmod go-w"), "{e}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(prepare(&dir).is_err(), "group-writable too");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare(&dir).expect("readable by others is not writable by them");
    }

    #[test]
    fn a_link_is_followed_for_the_data_dir_only() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        create_private(&link, true).expect("a data dir elsewhere, reached by a link");
        let e = create_private(&link, false).unwrap_err().to_string();
        assert!(e.contains("is a symbolic link"), "{e}");
    }

    #[test]
    fn a_file_is_never_opened_through_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        let link = tmp.path().join("journal.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = open_nofollow(&link, OpenOptions::new().append(true).create(true)).unwrap_err();
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        let e = open_nofollow(&link, OpenOptions::new().read(true)).unwrap_err();
        assert!(e.to_string().contains("refusing "), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        // A plain file is opened, and created owner-only.
        let plain = tmp.path().join("audit.jsonl");
        open_nofollow(&plain, OpenOptions::new().append(true).create(true)).unwrap();
        assert_eq!(mode(&plain), 0o600);
    }
}
