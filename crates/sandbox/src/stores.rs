//! A data dir's stores: one SQLite file per tenant (see `tenants::store_file`), each seeded on
//! its first open, the first also holding the token-signing key; and their removal for a reset.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::signing::SigningKey;
use super::store::{self, Store};
use super::tenants::{self, MAX_TENANTS, Planned};
use super::{SandboxError, aftercare_store, check_seed_count, seed, seed_objects};

/// The store's meta entry holding the token-signing key (PKCS#8, hex).
const SIGNING_KEY: &str = "signing_key";

/// One tenant's store, opened.
pub struct Opened {
    pub plan: Planned,
    pub store: Store,
    pub tenant_id: String,
}

pub fn store_err(path: &Path) -> impl FnOnce(rusqlite::Error) -> SandboxError + '_ {
    move |source| SandboxError::Store {
        path: path.to_path_buf(),
        source,
    }
}

fn dir_err(path: &Path) -> impl FnOnce(std::io::Error) -> SandboxError + '_ {
    move |source| SandboxError::DataDir {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses counts past what one seeding makes.
pub fn check_seed(users: usize, active: Option<usize>) -> Result<(), SandboxError> {
    check_seed_count("deleted users", users).map_err(SandboxError::Config)?;
    match active {
        Some(n) => check_seed_count("active users", n).map_err(SandboxError::Config),
        None => Ok(()),
    }
}

/// What to seed into each tenant's store when it is empty.
#[derive(Debug, Clone, Copy)]
pub struct Seeding {
    pub tenants: usize,
    pub users: usize,
    pub active: Option<usize>,
    pub seed: u64,
}

/// Opens (and seeds, where empty) the first `tenants` tenants' stores in `data_dir`, in order,
/// on as many threads as there are cores: fifty tenants of a thousand users each are fifty
/// independent seedings. Stores of tenants past the count are left as they are, unused.
pub fn open_all(data_dir: &Path, s: Seeding) -> Result<Vec<Opened>, SandboxError> {
    check_seed(s.users, s.active)?;
    tenants::check_tenant_count(s.tenants).map_err(SandboxError::Config)?;
    std::fs::create_dir_all(data_dir).map_err(dir_err(data_dir))?;
    let plans: Vec<Planned> = (0..s.tenants)
        .map(|i| tenants::planned(i, s.seed))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(plans.len());
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<Result<Opened, SandboxError>>>> =
        Mutex::new((0..plans.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(plan) = plans.get(i) else { break };
                    let opened = open_one(data_dir, plan.clone(), s);
                    let failed = opened.is_err();
                    done.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(opened);
                    if failed {
                        // The others are not waited for: the start fails anyway.
                        next.store(plans.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::with_capacity(done.len());
    for (opened, plan) in done.into_iter().zip(&plans) {
        match opened {
            Some(o) => out.push(o?),
            None => {
                return Err(SandboxError::Config(format!(
                    "{} was not opened: another tenant's store failed first",
                    plan.domain
                )));
            }
        }
    }
    Ok(out)
}

/// Opens (and seeds, if empty) one tenant's store.
fn open_one(data_dir: &Path, plan: Planned, s: Seeding) -> Result<Opened, SandboxError> {
    let path = tenants::store_file(data_dir, &plan);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(dir_err(dir))?;
    }
    let private = |path: &Path| store::make_private(path).map_err(dir_err(path));
    private(&path)?;
    let mut store = Store::open(&path).map_err(store_err(&path))?;
    // Opening may have created the -wal and -shm files.
    private(&path)?;
    if store.meta("seeded_at").map_err(store_err(&path))?.is_none() {
        let now = chrono::Utc::now();
        let mut seeded = seed::generate(plan.seed, s.users, &plan.domain, now);
        let extra = seed_objects::generate(plan.seed, &seeded.users, s.active, &plan.domain, now);
        seeded.users.extend(extra.active);
        let meta = [
            ("seed", plan.seed.to_string()),
            ("users", s.users.to_string()),
            ("tenant_id", seeded.tenant_id),
            (
                "seeded_at",
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        ];
        // Another process may have seeded it meanwhile: then its data is kept.
        if store
            .seed_if_empty(&seeded.users, &meta)
            .map_err(store_err(&path))?
        {
            store
                .seed_objects(&extra.objects, &extra.audits)
                .map_err(store_err(&path))?;
        }
    }
    let tenant_id = store
        .meta("tenant_id")
        .map_err(store_err(&path))?
        .unwrap_or_default();
    aftercare_store::ensure_schema(&store).map_err(store_err(&path))?;
    // The first tenant keeps the group ids it always had; the others' are their own.
    let groups_of = (plan.index > 0).then_some(tenant_id.as_str());
    aftercare_store::seed_if_empty(&mut store, &format!("admin@{}", plan.domain), groups_of)
        .map_err(store_err(&path))?;
    // Seeding filled the connection's page cache; fifty tenants would keep fifty full caches
    // for pages nobody may read again.
    store.shrink_memory().map_err(store_err(&path))?;
    Ok(Opened {
        plan,
        store,
        tenant_id,
    })
}

/// The token-signing key kept in the first tenant's store; a store from before tokens were
/// RS256 gets one now.
pub fn signing_key(first: &Opened, data_dir: &Path) -> Result<SigningKey, SandboxError> {
    let path = tenants::store_file(data_dir, &first.plan);
    let key = match first.store.meta(SIGNING_KEY).map_err(store_err(&path))? {
        Some(k) => k,
        None => {
            let fresh = SigningKey::generate().map_err(SandboxError::Config)?;
            first
                .store
                .meta_or_insert(SIGNING_KEY, &hex::encode(fresh))
                .map_err(store_err(&path))?
        }
    };
    hex::decode(key)
        .map_err(|e| e.to_string())
        .and_then(|der| SigningKey::from_pkcs8(&der))
        .map_err(|e| SandboxError::Config(format!("{}: signing key: {e}", path.display())))
}

/// Every store file of a data dir a sandbox may have written: each tenant's, first the
/// first's. Only names the sandbox gives are listed, never what else lies in `tenants/`.
pub fn every_store_file(data_dir: &Path) -> impl Iterator<Item = (Planned, PathBuf)> + '_ {
    (0..MAX_TENANTS).map(move |i| {
        // The names of the files do not depend on the seed.
        let plan = tenants::planned(i, 0);
        let path = tenants::store_file(data_dir, &plan);
        (plan, path)
    })
}

/// How many tenants' stores a data dir holds: one past the last one there.
pub fn tenants_in(data_dir: &Path) -> usize {
    every_store_file(data_dir)
        .filter(|(_, path)| path.exists())
        .last()
        .map_or(0, |(plan, _)| plan.index + 1)
}

/// Removes every tenant's store files (database, WAL, shared memory) so the next open
/// re-seeds them all.
pub fn remove_all(data_dir: &Path) -> Result<(), SandboxError> {
    for (_, base) in every_store_file(data_dir) {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", base.display()));
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(SandboxError::DataDir { path: p, source }),
            }
        }
    }
    // Left in place when something else is in it.
    let _ = std::fs::remove_dir(data_dir.join(tenants::TENANTS_DIR));
    Ok(())
}
