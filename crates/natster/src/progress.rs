//! A one-line progress bar with rate and ETA, drawn only on a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Progress of one long job, in bytes.
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: u64,
    started: Instant,
    last_draw: Mutex<Option<Instant>>,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` bytes; silent unless stderr is a terminal.
    pub fn new(label: impl Into<String>, total: u64) -> Self {
        Self {
            label: label.into(),
            total,
            started: Instant::now(),
            last_draw: Mutex::new(None),
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Reports `done` bytes (redrawn at most 10 times a second).
    pub fn update(&self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        {
            let mut last = self.last_draw.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| now - t < Duration::from_millis(100)) && done < self.total {
                return;
            }
            *last = Some(now);
        }
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = done as f64 / secs;
        let pct = if self.total == 0 {
            100.0
        } else {
            done as f64 * 100.0 / self.total as f64
        };
        let eta = if rate > 0.0 && self.total > done {
            format!("ETA {:.0}s", (self.total - done) as f64 / rate)
        } else {
            String::new()
        };
        let width = 24usize;
        let filled = ((pct / 100.0) * width as f64).round() as usize;
        let bar: String = "#".repeat(filled.min(width)) + &"-".repeat(width - filled.min(width));
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{bar}] {:5.1}% {}/{} {}/s {eta}   ",
            self.label,
            pct,
            human_bytes(done),
            human_bytes(self.total),
            human_bytes(rate as u64)
        );
        let _ = err.flush();
    }

    /// Ends the line.
    pub fn finish(&self) {
        if self.enabled {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// `1.5 MiB` and friends.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for unix seconds.
pub fn utc(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(0), "0 B");
        assert_eq!(super::human_bytes(1536), "1.5 KiB");
        assert_eq!(super::human_bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn utc() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(super::utc(1_795_882_663), "2026-11-28 16:17:43 UTC");
    }
}
