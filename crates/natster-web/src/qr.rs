//! A QR code of the login URL for the terminal (`natster login --qr`),
//! drawn with half blocks: two module rows per text line.

use qrcodegen::{QrCode, QrCodeEcc};

/// The QR code of `text` as lines of text. Light modules are drawn (as
/// `qrencode -t UTF8` does), so it scans on the usual dark terminal.
pub fn render(text: &str) -> Option<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Low).ok()?;
    let quiet = 2;
    let size = qr.size();
    // Outside the symbol counts as light (the quiet zone).
    let light = |x: i32, y: i32| !qr.get_module(x, y);
    let mut out = String::new();
    let mut y = -quiet;
    while y < size + quiet {
        for x in -quiet..size + quiet {
            out.push(match (light(x, y), light(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_a_square_block() {
        let q =
            super::render("http://127.0.0.1:8080/link/abcdefghijklmnopqrstuvwxyz234567").unwrap();
        let lines: Vec<&str> = q.lines().collect();
        let width = lines[0].chars().count();
        // Version >= 3 (29 modules) + quiet zones; two rows per line.
        assert!(width >= 33, "{width}");
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert_eq!(lines.len(), width.div_ceil(2));
        assert!(q.contains(' ') && q.contains('█'));
    }
}
