//! Reading a file someone names (`--config`, `--certificate`, `--ca-file`,
//! `--trust-certificate`) or that sits in a data dir (the token cache, the sandbox's CA):
//! always a regular file, and never more than a cap.
//!
//! A path can name `/dev/zero` (read to the end, memory grows without bound) or a FIFO (opening
//! it waits for a writer that may never come). So the file is opened without blocking, its type
//! is checked on the open handle (not by name, which another process could swap in between),
//! and at most one byte more than the cap is read. `/dev/null` alone among devices is read,
//! as the empty file it is (`UNDELETE_CONFIG=/dev/null`: no settings).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use zeroize::Zeroizing;

const MB: u64 = 1024 * 1024;

/// How much may be read of one kind of file, and that kind's name for the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub bytes: u64,
    /// What the file is, after "the most undelete reads for": "a settings file".
    pub what: &'static str,
}

pub const SETTINGS: Cap = Cap {
    bytes: MB,
    what: "a settings file",
};
/// A PEM file of certificates (a CA bundle, an app's certificate and maybe its key).
pub const CERTIFICATE: Cap = Cap {
    bytes: MB,
    what: "a certificate file",
};
pub const KEY: Cap = Cap {
    bytes: MB,
    what: "a key",
};
/// Refresh and access tokens of every account and tenant signed in from one data dir.
pub const TOKEN_CACHE: Cap = Cap {
    bytes: 8 * MB,
    what: "the token cache",
};

/// Why a file was not read. `Display` gives the cause only; callers put the file's name (and
/// the flag that named it) in front.
#[derive(Debug)]
pub enum FileError {
    /// Opening or reading failed (`NotFound` among them).
    Io(io::Error),
    /// A directory, device, FIFO or socket: the words name which ("a character device").
    NotRegular(&'static str),
    TooLarge(Cap),
    /// `read_text` only.
    NotText,
}

impl FileError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::NotRegular(kind) => write!(f, "not a regular file ({kind})"),
            Self::TooLarge(cap) => write!(
                f,
                "larger than {}, the most undelete reads for {}",
                size_words(cap.bytes),
                cap.what
            ),
            Self::NotText => write!(f, "not UTF-8 text"),
        }
    }
}

impl std::error::Error for FileError {}

impl From<io::Error> for FileError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Refuses a `path` that exists but is not a regular file (following links), for a file
/// another library opens (SQLite's store): opened by it, a FIFO would hang the process.
pub fn refuse_special(path: &Path) -> Result<(), FileError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) => Err(FileError::NotRegular(kind_words(meta.file_type()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::Io(e)),
    }
}

/// "1 MB", "8 MB", "512 KB", "100 bytes".
fn size_words(bytes: u64) -> String {
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// The bytes of the regular file `path`, at most `cap.bytes` of them. Zeroed when dropped:
/// some of these files hold keys and tokens.
pub fn read(path: &Path, cap: Cap) -> Result<Zeroizing<Vec<u8>>, FileError> {
    let Some(file) = open_regular(path)? else {
        return Ok(Zeroizing::new(Vec::new()));
    };
    let size = file.metadata()?.len();
    // Room for the whole file up front: a vector that grows leaves copies of what it held in
    // memory that is freed without being zeroed.
    let room = usize::try_from(size.min(cap.bytes) + 1).unwrap_or(usize::MAX);
    let mut bytes = Zeroizing::new(Vec::with_capacity(room));
    file.take(cap.bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap.bytes {
        return Err(FileError::TooLarge(cap));
    }
    Ok(bytes)
}

/// `read`, as UTF-8 text.
pub fn read_text(path: &Path, cap: Cap) -> Result<Zeroizing<String>, FileError> {
    let mut bytes = read(path, cap)?;
    // Moved, not copied, so the one buffer is what gets zeroed, text or not.
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            Err(FileError::NotText)
        }
    }
}

/// Opens `path` for reading without waiting on a FIFO, and refuses anything but a regular file;
/// `None` for the null device, which has nothing to read.
fn open_regular(path: &Path) -> Result<Option<File>, FileError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if is_null_device(&meta) {
        return Ok(None);
    }
    if !meta.is_file() {
        return Err(FileError::NotRegular(kind_words(meta.file_type())));
    }
    Ok(Some(file))
}

/// Whether `meta` is of the device `/dev/null` is, by its device number (a link or another
/// node of it counts too).
#[cfg(unix)]
fn is_null_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    meta.file_type().is_char_device()
        && std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == meta.rdev())
}

#[cfg(not(unix))]
fn is_null_device(_: &std::fs::Metadata) -> bool {
    false
}

fn kind_words(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a plain file"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const SMALL: Cap = Cap {
        bytes: 10,
        what: "a test file",
    };

    #[test]
    fn a_regular_file_within_the_cap_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(&read(&path, SMALL).unwrap()[..], b"0123456789");
        assert_eq!(&*read_text(&path, SMALL).unwrap(), "0123456789");
        std::fs::write(&path, b"").unwrap();
        assert!(read(&path, SMALL).unwrap().is_empty());
    }

    #[test]
    fn one_byte_over_the_cap_is_refused_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789x").unwrap();
        let e = read(&path, SMALL).unwrap_err();
        assert!(matches!(e, FileError::TooLarge(c) if c == SMALL));
        assert_eq!(
            e.to_string(),
            "larger than 10 bytes, the most undelete reads for a test file"
        );
        assert_eq!(
            FileError::TooLarge(CERTIFICATE).to_string(),
            "larger than 1 MB, the most undelete reads for a certificate file"
        );
        assert_eq!(size_words(8 * MB), "8 MB");
        assert_eq!(size_words(512 * 1024), "512 KB");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(read_text(&path, SMALL), Err(FileError::NotText)));
    }

    #[test]
    fn a_missing_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(&dir.path().join("absent"), SMALL).unwrap_err();
        assert!(e.is_not_found(), "{e}");
    }

    #[test]
    fn special_files_are_told_apart_from_regular_and_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert!(refuse_special(&file).is_ok());
        assert!(refuse_special(&dir.path().join("absent")).is_ok());
        let e = refuse_special(dir.path()).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(dir.path(), SMALL).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
    }

    #[cfg(unix)]
    #[test]
    fn dev_null_reads_as_an_empty_file() {
        assert!(read(Path::new("/dev/null"), SETTINGS).unwrap().is_empty());
        assert_eq!(&*read_text(Path::new("/dev/null"), SETTINGS).unwrap(), "");
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("none.toml");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        assert!(read(&link, SETTINGS).unwrap().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_is_refused_at_once() {
        let started = Instant::now();
        let e = read(Path::new("/dev/zero"), SETTINGS).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a character device)");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_without_a_writer_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        // Run where a hang is seen as one: the test fails instead of blocking the suite.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read(&fifo, SETTINGS).map(|_| ()).map_err(|e| e.to_string()));
        });
        let got = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("reading a FIFO returned instead of waiting for a writer");
        assert_eq!(got.unwrap_err(), "not a regular file (a named pipe)");
    }
}
