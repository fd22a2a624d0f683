//! How long work looks on a terminal: a progress bar with rate and ETA
//! (drawn only when stderr is a terminal), sizes and times for people.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar for `total` bytes labelled `label`, starting at `start` (a
/// resumed download: its rate counts only what this run moves). Hidden
/// unless stderr is a terminal.
pub fn bar(label: &str, total: u64, start: u64) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{msg} [{bar:24}] {percent:>3}% {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("#-");
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        .with_style(style)
        .with_message(label.to_owned())
        .with_position(start);
    bar.reset_eta();
    bar
}

/// A bar drawn on the first report of a scan; finished when dropped.
pub struct ScanBar {
    label: String,
    bar: std::sync::OnceLock<ProgressBar>,
}

impl ScanBar {
    /// A bar labelled `label`.
    pub fn new(label: String) -> Self {
        Self {
            label,
            bar: std::sync::OnceLock::new(),
        }
    }

    /// Shows a scan's progress.
    pub fn update(&self, p: natster_catalog::scan::ScanProgress) {
        let b = self.bar.get_or_init(|| bar(&self.label, p.bytes_total, 0));
        b.set_position(p.bytes_done);
    }
}

impl Drop for ScanBar {
    fn drop(&mut self) {
        if let Some(b) = self.bar.get() {
            b.finish();
        }
    }
}

/// `1.5 MiB` and friends.
pub fn human_bytes(n: u64) -> String {
    indicatif::BinaryBytes(n).to_string()
}

/// `YYYY-MM-DD HH:MM:SS UTC` for unix seconds.
pub fn utc(t: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&format).ok())
        .unwrap_or_else(|| format!("unix {t}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(0), "0 B");
        assert_eq!(super::human_bytes(1536), "1.50 KiB");
        assert_eq!(super::human_bytes(3 << 30), "3.00 GiB");
    }

    #[test]
    fn utc() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(super::utc(1_795_882_663), "2026-11-28 16:17:43 UTC");
    }
}
