//! The log file: `DATA_DIR/logs/undelete.YYYY-MM-DD.log`, one per day (UTC), the latest also
//! reachable as `logs/undelete.log`. Only the owner may read it (file 0600, directory 0700).
//!
//! tracing-appender rolls the file but creates each new one with the process's default mode, so
//! the writer here creates the day's file and the next day's itself, owner-only, before the
//! appender opens them (it appends to a file that exists).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// The log directory under the data dir.
pub const DIR: &str = "logs";
/// Name of the latest day's file (a symbolic link on Unix).
pub const LATEST: &str = "undelete.log";
const PREFIX: &str = "undelete";
const SUFFIX: &str = "log";
/// Days of logs kept; older files are removed as the log rolls.
const KEEP_DAYS: usize = 14;

/// An owner-only, daily-rolled log file.
pub struct PrivateRollingFile {
    appender: RollingFileAppender,
    dir: PathBuf,
    /// The day whose file and successor are known to exist owner-only.
    ready_for: Option<NaiveDate>,
}

impl PrivateRollingFile {
    /// Opens (creating) `data_dir/logs` and today's file.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        // The data dir first, private and refused when others may write to it; then its
        // own folder.
        crate::data_dir::create_private(data_dir, true)?;
        let dir = data_dir.join(DIR);
        crate::data_dir::create_private(&dir, false)?;
        owner_only(&dir, 0o700)?;
        // The appender links `undelete.log` to the file by this path: absolute, so the link
        // works whatever the current directory was.
        let dir = fs::canonicalize(&dir)?;
        let mut this = Self {
            appender: build(&dir)?,
            dir,
            ready_for: None,
        };
        this.prepare(Utc::now().date_naive())?;
        Ok(this)
    }

    /// Today's file and tomorrow's, created owner-only if missing, so the appender, rolling
    /// over at midnight, opens a file that is already private.
    fn prepare(&mut self, today: NaiveDate) -> io::Result<()> {
        if self.ready_for == Some(today) {
            return Ok(());
        }
        for day in [Some(today), today.succ_opt()].into_iter().flatten() {
            let path = self.dir.join(file_name(day));
            create_private(&path)?;
        }
        self.ready_for = Some(today);
        Ok(())
    }
}

impl Write for PrivateRollingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.prepare(Utc::now().date_naive())?;
        self.appender.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.appender.flush()
    }
}

/// The appender's name for a day's file (`Rotation::DAILY` with our prefix and suffix).
pub fn file_name(day: NaiveDate) -> String {
    format!("{PREFIX}.{}.{SUFFIX}", day.format("%Y-%m-%d"))
}

fn build(dir: &Path) -> io::Result<RollingFileAppender> {
    let builder = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .max_log_files(KEEP_DAYS);
    // Creating a symbolic link needs a privilege on Windows: there the dated files are enough.
    #[cfg(unix)]
    let builder = builder.latest_symlink(LATEST);
    builder.build(dir).map_err(io::Error::other)
}

/// Creates `path` owner-only if missing; narrows its mode if it exists.
fn create_private(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?;
    owner_only(path, 0o600)
}

#[cfg(unix)]
fn owner_only(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = fs::metadata(path)?.permissions().mode() & 0o777;
    if current != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn files_and_directory_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let mut file = PrivateRollingFile::open(tmp.path()).unwrap();
        file.write_all(b"a line\n").unwrap();
        file.flush().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tmp.path().join(DIR);
        assert_eq!(mode(&dir), 0o700);
        let today = Utc::now().date_naive();
        assert_eq!(mode(&dir.join(file_name(today))), 0o600);
        assert_eq!(mode(&dir.join(file_name(today.succ_opt().unwrap()))), 0o600);
        let latest = dir.join(LATEST);
        assert_eq!(mode(&latest), 0o600);
        assert_eq!(fs::read_to_string(latest).unwrap(), "a line\n");
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_open_to_others_is_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(DIR);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(file_name(Utc::now().date_naive()));
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        PrivateRollingFile::open(tmp.path()).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
    }
}
