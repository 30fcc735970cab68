//! Hostile inputs to the real binary: `/dev/zero`, a FIFO nobody writes to and a 2 MB file, for
//! every flag that names a file and for the sandbox's CA in its data dir; a password line that
//! never ends; seed counts past what the sandbox makes. Each is refused at once, in words, as a
//! usage error (exit 2), where it used to fill memory, hang or abort.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_undelete");

/// Longer than any refusal takes, even on a busy machine; a run still going then has hung.
const HANG: Duration = Duration::from_secs(30);
/// What "at once" means for a debug binary on a shared machine.
const PROMPT: Duration = Duration::from_secs(10);

struct Inputs {
    dir: tempfile::TempDir,
}

impl Inputs {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("pipe.pem");
        let made = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        std::fs::write(dir.path().join("big.pem"), vec![b'a'; 2 * 1024 * 1024]).expect("write");
        Self { dir }
    }

    fn home(&self) -> &Path {
        self.dir.path()
    }

    /// Each hostile file, with the words its refusal must carry.
    fn hostile(&self) -> Vec<(PathBuf, &'static str)> {
        vec![
            (
                PathBuf::from("/dev/zero"),
                "not a regular file (a character device)",
            ),
            (
                self.dir.path().join("pipe.pem"),
                "not a regular file (a named pipe)",
            ),
            (self.dir.path().join("big.pem"), "larger than 1 MB"),
        ]
    }
}

struct Run {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

/// `undelete ARGS` with its own home and data dir and none of the caller's settings; killed
/// (and the test failed) if it is still running after `HANG`.
fn run(home: &Path, args: &[&str], stdin: Stdio) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("UNDELETE_DATA_DIR", home.join("data"))
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("UNDELETE_") && k != "UNDELETE_DATA_DIR" {
            cmd.env_remove(k);
        }
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("the binary runs");
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("undelete {args:?} hung: still running after {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = started.elapsed();
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    }
}

/// Refused as a usage error, promptly, saying `words`.
fn assert_refused(r: &Run, args: &[&str], words: &str) {
    assert_eq!(r.code, Some(2), "undelete {args:?}: {}", r.stderr);
    assert!(
        r.stderr.contains(words),
        "undelete {args:?} should say {words:?}: {}",
        r.stderr
    );
    assert!(r.took < PROMPT, "undelete {args:?} took {:?}", r.took);
}

/// `flag FILE` before `rest`, for each hostile file: refused naming the flag's words, the file
/// and why.
fn each_hostile_file(flag_words: &str, args: impl Fn(&str) -> Vec<String>) {
    let inputs = Inputs::new();
    for (file, why) in inputs.hostile() {
        let file = file.to_str().expect("UTF-8 path");
        let args = args(file);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(inputs.home(), &args, Stdio::null());
        assert_refused(&r, &args, &format!("{flag_words} {file}: {why}"));
    }
}

#[test]
fn a_settings_file_that_is_a_device_a_fifo_or_too_large_is_refused() {
    each_hostile_file("the settings file", |f| {
        vec!["--config".into(), f.into(), "list".into()]
    });
}

#[test]
fn a_ca_file_that_is_a_device_a_fifo_or_too_large_is_refused() {
    each_hostile_file("--ca-file", |f| {
        vec!["--ca-file".into(), f.into(), "list".into()]
    });
}

#[test]
fn a_certificate_that_is_a_device_a_fifo_or_too_large_is_refused() {
    each_hostile_file("the certificate file", |f| {
        [
            "--tenant",
            "contoso.example",
            "--client-id",
            "00000000-0000-0000-0000-000000000001",
            "--certificate",
            f,
            "list",
        ]
        .map(String::from)
        .to_vec()
    });
}

#[test]
fn a_trusted_certificate_that_is_a_device_a_fifo_or_too_large_is_refused() {
    // Accepted by mistake, the sandbox would serve until killed: `run` fails the test then.
    each_hostile_file("--trust-certificate", |f| {
        ["sandbox", "serve", "--users", "3", "--trust-certificate", f]
            .map(String::from)
            .to_vec()
    });
}

#[test]
fn a_sandbox_ca_key_that_is_a_device_a_fifo_or_too_large_is_refused() {
    let inputs = Inputs::new();
    for (file, why) in inputs.hostile() {
        let tls = inputs.home().join("data").join("tls");
        let _ = std::fs::remove_dir_all(&tls);
        std::fs::create_dir_all(&tls).expect("tls dir");
        std::fs::write(tls.join("ca.pem"), "not yet read\n").expect("ca.pem");
        let key = tls.join("ca.key");
        if file.starts_with(inputs.home()) {
            std::fs::rename(&file, &key).expect("move into the data dir");
        } else {
            std::os::unix::fs::symlink(&file, &key).expect("symlink");
        }
        let args = ["sandbox", "serve", "--users", "3", "--tls"];
        let r = run(inputs.home(), &args, Stdio::null());
        assert_refused(&r, &args, &format!("{}: {why}", key.display()));
        assert!(r.stderr.contains("to make a new CA"), "{}", r.stderr);
    }
}

#[test]
fn a_password_line_that_never_ends_is_refused() {
    let inputs = Inputs::new();
    let args = [
        "--sandbox",
        "restore",
        "adele.vance@contoso.sandbox",
        "--password",
        "stdin",
    ];
    let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
    let r = run(inputs.home(), &args, Stdio::from(zero));
    assert_refused(
        &r,
        &args,
        "--password stdin: the first line of standard input is longer than 1024 bytes",
    );
}

#[test]
fn seed_counts_past_ten_million_are_usage_errors() {
    let inputs = Inputs::new();
    for args in [
        &["sandbox", "reset", "--users", "99999999999"][..],
        &[
            "sandbox",
            "reset",
            "--users",
            "10",
            "--active",
            "99999999999",
        ],
        &["sandbox", "serve", "--users", "10000001"],
        &["sandbox", "serve", "--active", "99999999999"],
    ] {
        let r = run(inputs.home(), args, Stdio::null());
        assert_refused(
            &r,
            args,
            "is more than the sandbox seeds: at most 10,000,000",
        );
    }
    let args = &["sandbox", "serve", "--write-quota", "5/1e300"];
    let r = run(inputs.home(), args, Stdio::null());
    assert_refused(&r, args, "the period is at most a day");
}

#[test]
fn a_sandbox_store_that_is_a_fifo_or_a_device_is_refused_not_waited_on() {
    let inputs = Inputs::new();
    let data = inputs.home().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let store = data.join("sandbox.sqlite3");
    for (special, why) in [
        (inputs.home().join("pipe.pem"), "a named pipe"),
        (PathBuf::from("/dev/zero"), "a character device"),
    ] {
        let _ = std::fs::remove_file(&store);
        std::os::unix::fs::symlink(&special, &store).expect("symlink");
        for args in [
            &["sandbox", "serve", "--users", "3"][..],
            &["sandbox", "outbox"],
        ] {
            let r = run(inputs.home(), args, Stdio::null());
            assert_eq!(r.code, Some(1), "undelete {args:?}: {}", r.stderr);
            let words = format!("{}: not a regular file ({why})", store.display());
            assert!(r.stderr.contains(&words), "{words}: {}", r.stderr);
            assert!(r.took < PROMPT, "undelete {args:?} took {:?}", r.took);
        }
    }
}
