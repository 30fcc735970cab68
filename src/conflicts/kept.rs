//! What the sweep keeps from one run to the next, per directory, in that directory's books
//! folder (`restore::Books`): the conflict index with its delta links (`conflicts.kept`) and
//! the deletion log (`deletions.kept`). The next launch shows their badges at once, as of
//! when they were read, and refreshes them with one delta round instead of a full sweep.
//!
//! What is kept is what the index and the log hold in memory and nothing more: holders' ids,
//! display names and their user names and addresses (case-folded), the delta links; per
//! deleted user who deleted it, when, the result and the by-sync flag. Each file is written
//! whole under another name and renamed (a reader never sees half of one), created 0600 and
//! never through a link, like the books; it names its directory inside, and a file that names
//! another, is damaged or from another version is not believed (the caller sweeps afresh and
//! says why). `cache = false` in the settings file or `--no-cache` keeps nothing, and removes
//! what was kept for the directory (`forget`).

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::deletions::DeletionLog;
use super::index::ConflictIndex;
use super::sweep::{DeletionsState, SourceStatus, Sweep};
use crate::data_dir::open_nofollow;
use crate::directory::HolderKind;
use crate::directory::audits::AUDIT_PERMISSION;
use crate::restore::Books;

/// The kept conflict index and its delta links.
pub const INDEX_FILE: &str = "conflicts.kept";
/// The kept deletion log.
pub const LOG_FILE: &str = "deletions.kept";

/// The first line of each file: what it is, and the version of its layout.
const MAGIC: &[u8] = b"undelete kept 1\n";

/// A kept file is refused past this size (a million holders take about 70 MB).
const MAX_BYTES: u64 = 1 << 30;

/// Bytes out, little-endian.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    pub fn text(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
}

/// Bytes in, every read checked: a short or damaged file reads as `None`, never a panic.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Option<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
    pub fn text(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.u64()?).ok()?;
        std::str::from_utf8(self.bytes(n)?).ok()
    }
    /// A count of items each at least `min_size` bytes long: one that could not fit in what
    /// is left of the file is refused before anything is allocated for it.
    pub fn count(&mut self, min_size: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n.checked_mul(min_size)? <= self.bytes.len() - self.pos).then_some(n)
    }
    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// How a read went, as kept (`SourceStatus` names permissions by static strings).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum KeptStatus {
    Read(usize),
    NotPermitted,
    Failed(String),
}

impl KeptStatus {
    fn of(s: &SourceStatus) -> Self {
        match s {
            SourceStatus::Read { count } => Self::Read(*count),
            SourceStatus::NotPermitted { .. } => Self::NotPermitted,
            SourceStatus::Failed { message } => Self::Failed(message.clone()),
        }
    }

    fn status(self, needs: &'static str) -> SourceStatus {
        match self {
            Self::Read(count) => SourceStatus::Read { count },
            Self::NotPermitted => SourceStatus::NotPermitted { needs },
            Self::Failed(message) => SourceStatus::Failed { message },
        }
    }
}

/// The line after the magic one: which directory, as of when, and the small parts.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    directory: String,
    as_of: DateTime<Utc>,
    /// Users, groups, contacts (index) or the audit log (deletions).
    statuses: Vec<KeptStatus>,
    #[serde(default)]
    delta_links: Vec<Option<String>>,
}

fn path(books: &Books, file: &str) -> PathBuf {
    books.folder().join(file)
}

/// Writes `body` after the magic line and `header`, whole, then renames it into place.
fn write_file(books: &Books, file: &str, header: &Header, body: Writer) -> io::Result<()> {
    books.prepare()?;
    let mut text = MAGIC.to_vec();
    serde_json::to_writer(&mut text, header).map_err(io::Error::other)?;
    text.push(b'\n');
    let target = path(books, file);
    let tmp = books
        .folder()
        .join(format!(".{file}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = open_nofollow(&tmp, OpenOptions::new().write(true).create_new(true))
        .and_then(|mut f| {
            f.write_all(&text)?;
            f.write_all(&body.buf)
        })
        .and_then(|()| std::fs::rename(&tmp, &target));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The file's header and body, or `None` when there is none; an error says why a file that
/// is there cannot be believed.
fn read_file(books: &Books, file: &str) -> Result<Option<(Header, Vec<u8>)>, String> {
    let p = path(books, file);
    let mut bytes = Vec::new();
    match open_nofollow(&p, OpenOptions::new().read(true)) {
        Ok(f) => {
            f.take(MAX_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{} cannot be read: {e}", p.display()))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{} cannot be read: {e}", p.display())),
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("{} is larger than undelete keeps", p.display()));
    }
    let damaged = || format!("{} is damaged or from another version", p.display());
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(damaged)?;
    let line_end = rest.iter().position(|b| *b == b'\n').ok_or_else(damaged)?;
    let header: Header = serde_json::from_slice(&rest[..line_end]).map_err(|_| damaged())?;
    if header.directory != books.directory().key() {
        return Err(format!(
            "{} was kept for another directory ({}): not used",
            p.display(),
            header.directory
        ));
    }
    let body = rest[line_end + 1..].to_vec();
    Ok(Some((header, body)))
}

/// Keeps the conflict index and its delta links for the next run.
pub fn save_sweep(books: &Books, sweep: &Sweep) -> io::Result<()> {
    let header = Header {
        directory: books.directory().key(),
        as_of: sweep.as_of,
        statuses: sweep.sources.iter().map(KeptStatus::of).collect(),
        delta_links: sweep.delta_links.to_vec(),
    };
    let mut body = Writer::default();
    sweep.index.write(&mut body);
    write_file(books, INDEX_FILE, &header, body)
}

/// The kept conflict index, if this directory has one that can be believed.
pub fn load_sweep(books: &Books) -> Result<Option<Sweep>, String> {
    let Some((header, body)) = read_file(books, INDEX_FILE)? else {
        return Ok(None);
    };
    let damaged = || {
        format!(
            "{} is damaged or from another version",
            path(books, INDEX_FILE).display()
        )
    };
    if header.statuses.len() != 3 || header.delta_links.len() != 3 {
        return Err(damaged());
    }
    let mut r = Reader::new(&body);
    let index = ConflictIndex::read(&mut r)
        .filter(|_| r.at_end())
        .ok_or_else(damaged)?;
    let mut statuses = header.statuses.into_iter();
    let sources = HolderKind::ALL.map(|k| {
        statuses.next().map_or(
            SourceStatus::NotPermitted {
                needs: k.permission(),
            },
            |s| s.status(k.permission()),
        )
    });
    let mut links = header.delta_links.into_iter();
    let delta_links = [links.next(), links.next(), links.next()].map(Option::flatten);
    Ok(Some(Sweep {
        index,
        sources,
        delta_links,
        as_of: header.as_of,
    }))
}

/// Keeps the deletion log for the next run.
pub fn save_deletions(books: &Books, deletions: &DeletionsState) -> io::Result<()> {
    let header = Header {
        directory: books.directory().key(),
        as_of: deletions.as_of,
        statuses: vec![KeptStatus::of(&deletions.status)],
        delta_links: Vec::new(),
    };
    let mut body = Writer::default();
    deletions.log.write(&mut body);
    write_file(books, LOG_FILE, &header, body)
}

/// The kept deletion log, if this directory has one that can be believed.
pub fn load_deletions(books: &Books) -> Result<Option<DeletionsState>, String> {
    let Some((header, body)) = read_file(books, LOG_FILE)? else {
        return Ok(None);
    };
    let damaged = || {
        format!(
            "{} is damaged or from another version",
            path(books, LOG_FILE).display()
        )
    };
    let status = header
        .statuses
        .into_iter()
        .next()
        .ok_or_else(damaged)?
        .status(AUDIT_PERMISSION);
    let mut r = Reader::new(&body);
    let log = DeletionLog::read(&mut r)
        .filter(|_| r.at_end())
        .ok_or_else(damaged)?;
    Ok(Some(DeletionsState {
        log,
        status,
        as_of: header.as_of,
    }))
}

/// Removes what was kept for this directory (`--no-cache`, `cache = false`); true when there
/// was something. Other directories' files are never touched.
pub fn forget(books: &Books) -> io::Result<bool> {
    let mut removed = false;
    for file in [INDEX_FILE, LOG_FILE] {
        match std::fs::remove_file(path(books, file)) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// Where the kept files of `books` are (for messages and tests).
pub fn files(books: &Books) -> [PathBuf; 2] {
    [path(books, INDEX_FILE), path(books, LOG_FILE)]
}

/// True when what was kept at `as_of` is young enough for `list` to use without reading.
pub fn fresh(as_of: DateTime<Utc>, now: DateTime<Utc>, max_age: std::time::Duration) -> bool {
    let age = now.signed_duration_since(as_of);
    age >= chrono::Duration::zero()
        && chrono::Duration::from_std(max_age).is_ok_and(|max| age <= max)
}
