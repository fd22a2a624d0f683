//! Printing results. A reader that goes away (`natster ... | head`) ends
//! the process quietly with success, as other command-line tools do,
//! instead of a panic on the broken pipe.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static JSON: AtomicBool = AtomicBool::new(false);

/// Whether commands print JSON (`--json`, given anywhere on the line).
pub fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Sets it, once, from the command line.
pub fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

/// Writes one line to stdout; exits 0 if stdout was closed by its reader.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// `println!` that survives a closed stdout.
macro_rules! say {
    () => { $crate::output::line(format_args!("")) };
    ($($t:tt)*) => { $crate::output::line(format_args!($($t)*)) };
}

pub(crate) use say;
