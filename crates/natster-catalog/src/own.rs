//! This machine's own catalogs: a context keeps each one as a JSON file
//! (see `natster_client::Context::catalog_path`).

use std::path::PathBuf;

use natster_client::Context;

use crate::catalog::Catalog;
use crate::error::{Error, Result};

/// Loads `ctx`'s catalog `name`, or says how to create it; with its path.
pub fn load(ctx: &Context, name: &str) -> Result<(Catalog, PathBuf)> {
    let path = ctx.catalog_path(name)?;
    if !path.exists() {
        return Err(Error::NotFound(format!(
            "no catalog {name:?} in context {:?}: create it with `natster catalog new`",
            ctx.info.name
        )));
    }
    Ok((Catalog::load(&path)?, path))
}
