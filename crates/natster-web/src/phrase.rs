//! The confirmation phrase of a device link: five words derived from the
//! session's public key. The browser that opened the link and the CLI that
//! signs for it both show it; the person confirms they match before the CLI
//! signs. Someone who intercepts the link and opens it first gets a session
//! key of their own, hence a different phrase (40 bits: finding a key with a
//! given phrase within the link's lifetime is out of reach), and the
//! person's browser gets "link already used" instead of a phrase at all.

use sha2::{Digest, Sha256};

/// Why the hash is domain-separated: the phrase must not be reusable as
/// anything else derived from the key.
const DOMAIN: &[u8] = b"natster web link phrase v1\0";

/// The phrase for a session's user public key (`U...`).
pub fn phrase(session_key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(session_key.as_bytes())
        .finalize();
    digest[..5]
        .iter()
        .map(|b| WORDS[usize::from(*b)])
        .collect::<Vec<_>>()
        .join("-")
}

const WORDS: [&str; 256] = [
    "acorn", "actor", "agent", "alarm", "album", "alley", "amber", "angle", "apple", "apron",
    "arena", "arrow", "atlas", "attic", "audio", "autumn", "award", "bacon", "badge", "bagel",
    "baker", "bamboo", "banjo", "barn", "basil", "basin", "beach", "beard", "bench", "berry",
    "bison", "blade", "blanket", "bloom", "board", "bonus", "boot", "brave", "bread", "brick",
    "bridge", "broom", "brush", "bucket", "buffalo", "cabin", "cactus", "camel", "candle", "canoe",
    "canyon", "carbon", "cargo", "carpet", "castle", "cedar", "cello", "chair", "chalk", "cherry",
    "chess", "cider", "cinema", "circle", "citrus", "clock", "cloud", "clover", "coast", "cobra",
    "cocoa", "comet", "coral", "cotton", "cousin", "coyote", "crane", "crayon", "cricket", "crown",
    "crystal", "daisy", "dance", "delta", "denim", "desert", "diamond", "dinner", "dolphin",
    "donkey", "dragon", "drum", "eagle", "earth", "echo", "eclipse", "elbow", "elder", "ember",
    "engine", "falcon", "feather", "fiddle", "finch", "flame", "flute", "forest", "fossil",
    "fountain", "fox", "galaxy", "garden", "garlic", "gecko", "ginger", "glacier", "globe",
    "goose", "grape", "gravel", "guitar", "hammer", "harbor", "harvest", "hazel", "heron", "honey",
    "horizon", "hotel", "igloo", "indigo", "iris", "island", "ivory", "jacket", "jaguar",
    "jasmine", "jelly", "jungle", "kayak", "kernel", "kettle", "kiwi", "koala", "ladder", "lagoon",
    "lantern", "lemon", "lilac", "linen", "lizard", "lobster", "locket", "lotus", "magnet",
    "mango", "maple", "marble", "meadow", "melon", "mirror", "mitten", "monkey", "moose", "mosaic",
    "muffin", "nectar", "needle", "nickel", "noodle", "nutmeg", "oasis", "ocean", "olive", "onion",
    "opera", "orbit", "orchid", "otter", "oyster", "paddle", "panda", "panther", "parrot", "peach",
    "pebble", "pepper", "piano", "pickle", "pillow", "pilot", "planet", "plum", "pocket", "pony",
    "poppy", "potato", "prism", "puffin", "pumpkin", "quartz", "quilt", "rabbit", "radar",
    "radish", "raven", "ribbon", "river", "robin", "rocket", "saddle", "salmon", "sandal", "scarf",
    "seal", "shadow", "shell", "sierra", "silver", "sketch", "sparrow", "spider", "spruce",
    "squid", "statue", "stone", "sugar", "summit", "sunset", "swan", "tango", "teapot", "thunder",
    "tiger", "timber", "tomato", "topaz", "tractor", "tulip", "tundra", "turtle", "umbrella",
    "valley", "velvet", "violin", "volcano", "wagon", "walnut", "walrus", "whale", "willow",
    "window", "winter", "wizard", "yacht", "zebra",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_stable_distinct_and_words_unique() {
        let mut seen = std::collections::HashSet::new();
        assert!(WORDS.iter().all(|w| seen.insert(*w)), "256 distinct words");
        let a = phrase("UAAAA");
        assert_eq!(a, phrase("UAAAA"));
        assert_ne!(a, phrase("UAAAB"));
        assert_eq!(a.split('-').count(), 5);
    }
}
