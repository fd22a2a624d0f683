//! `natster`: the one binary. Commands arrive with the hub and catalog work.

fn main() {
    println!("natster {}", env!("CARGO_PKG_VERSION"));
}
