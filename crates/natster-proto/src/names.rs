//! Names people choose: catalogs, contexts, display names.

/// Longest catalog name.
pub const MAX_CATALOG_NAME: usize = 64;

/// Checks a catalog name: 1–64 of lowercase ASCII letters, digits, `-`, `_`.
/// Catalog names become subject tokens, so nothing else is allowed.
pub fn check_catalog_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_CATALOG_NAME {
        return Err(format!(
            "invalid catalog name {name:?}: it must be 1 to {MAX_CATALOG_NAME} characters"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '_'))
    {
        return Err(format!(
            "invalid catalog name {name:?}: {c:?} is not allowed (use lowercase letters, digits, '-' and '_')"
        ));
    }
    Ok(())
}

/// Checks a display name (account or user): 1–64 characters, no control characters.
pub fn check_display_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > 64 {
        return Err(format!(
            "invalid name {name:?}: it must be 1 to 64 characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "invalid name {name:?}: control characters are not allowed"
        ));
    }
    if name.trim() != name {
        return Err(format!(
            "invalid name {name:?}: no leading or trailing spaces"
        ));
    }
    Ok(())
}

/// Checks a context name: 1–64 of ASCII letters, digits, `-`, `_`, `.` (not starting with `.`).
pub fn check_context_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid context name {name:?}: use 1 to 64 letters, digits, '-', '_' or '.'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_names() {
        for good in ["a", "movies", "my-films_2", &"x".repeat(64)] {
            assert!(check_catalog_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Movies", "a.b", "a b", "a*", "a>", "é", &"x".repeat(65)] {
            assert!(check_catalog_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_and_context_names() {
        assert!(check_display_name("Alice Liddell").is_ok());
        assert!(check_display_name("").is_err());
        assert!(check_display_name("a\nb").is_err());
        assert!(check_display_name(" a").is_err());
        assert!(check_context_name("default").is_ok());
        assert!(check_context_name("../x").is_err());
        assert!(check_context_name(".hidden").is_err());
    }
}
