//! Ctrl-C and SIGTERM. mdatp runs in its own process group, so the terminal's SIGINT does
//! not reach it: the handler kills every running child group itself. Most commands then
//! exit at once (3, unknown); a command that can say something useful about an
//! interrupted wait (`update`) asks for a graceful stop and checks [`interrupted`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::exit_codes::ExitCode;
use crate::process::kill_active_children;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static GRACEFUL: AtomicBool = AtomicBool::new(false);

pub fn install() {
    // The handler runs on its own thread (not in signal context), so it may lock and print.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        kill_active_children();
        if !GRACEFUL.load(Ordering::SeqCst) {
            eprintln!("mdatp-doctor: interrupted");
            std::process::exit(i32::from(ExitCode::Unknown.code()));
        }
    });
}

/// From now on an interrupt only stops the wait; the command reports and exits itself.
pub fn graceful() {
    GRACEFUL.store(true, Ordering::SeqCst);
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Sleeps up to `d`, waking early on an interrupt; false when interrupted.
pub fn sleep(d: Duration) -> bool {
    let until = Instant::now() + d;
    while !interrupted() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
    false
}
