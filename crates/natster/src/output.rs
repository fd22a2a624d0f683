//! Printing results. A reader that goes away (`natster ... | head`) ends
//! the process quietly with success, as other command-line tools do,
//! instead of a panic on the broken pipe.

use std::io::Write;

/// Writes one line to stdout; exits 0 if stdout was closed by its reader.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// Writes to stdout without a newline (then flushes); exits 0 on a broken pipe.
pub fn text(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
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

/// `print!` that survives a closed stdout.
macro_rules! say_text {
    ($($t:tt)*) => { $crate::output::text(format_args!($($t)*)) };
}

pub(crate) use {say, say_text};
