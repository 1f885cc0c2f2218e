//! Child processes of a test: free ports, polling with a deadline, and [`Proc`], which kills
//! its child when dropped so a failing test leaves nothing running.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// A free TCP port on loopback (bound and released; another process could take it first,
/// which is why the kit waits for the RPC to answer and reports an early exit with its log).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `f` every 100 ms until it returns `Some`, failing the test after `secs`.
pub fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last `n` lines of the file at `path` (empty if it cannot be read).
pub fn log_tail(path: &Path, n: usize) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A running child process with its log file; killed (SIGKILL) and reaped on drop.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    /// What it is, for messages (`"node"`, `"miner daemon"`).
    pub what: String,
    /// The file its diagnostics (stderr) go to.
    pub log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Spawns `cmd`, whose stderr the caller pointed at `log`.
    pub fn spawn(what: &str, cmd: &mut Command, log: &Path) -> Proc {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {what}: {e}"));
        Proc {
            child,
            what: what.to_owned(),
            log: log.to_owned(),
        }
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status if it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Fails the test with the log's last lines if the process has exited.
    pub fn check_running(&mut self) {
        if let Some(status) = self.try_wait() {
            panic!(
                "the {} exited with {status}; its log ends:\n{}",
                self.what,
                self.log_tail(40)
            );
        }
    }

    /// The last `n` lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        log_tail(&self.log, n)
    }

    /// Kills it at once (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it with SIGTERM and waits up to `secs` for it to exit; returns its status.
    pub fn terminate(&mut self, secs: u64) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let what = format!("the {} to stop", self.what);
        wait_for(&what, secs, || self.child.try_wait().unwrap())
    }
}
