//! What `natster catalog ls` shows: this context's own catalogs (from its
//! files, with who they are shared with and whether they are online) and
//! the catalogs shared with its account.

use natster_proto::global::{MyCatalogsRequest, MySharesRequest, ShareSummary};
use serde::Serialize;

use crate::context::Context;
use crate::error::Result;

/// One of this context's catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MyCatalog {
    /// The catalog.
    pub catalog: String,
    /// Our account.
    pub owner: String,
    /// Whether a catalog server of ours answers for it now.
    pub online: bool,
    /// The accounts it is shared with.
    pub shared_with: Vec<String>,
}

/// A catalog shared with this account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedWithMe {
    /// The catalog.
    pub catalog: String,
    /// Its owner.
    pub owner: String,
    /// Whether its server is online now.
    pub online: bool,
    /// Its latest revision known.
    pub revision: Option<u64>,
    /// Whether we imported it.
    pub imported: bool,
    /// When the share ends, if it does.
    pub expires_at: Option<i64>,
}

/// Both lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// Ours, sorted by name.
    pub mine: Vec<MyCatalog>,
    /// Shared with us.
    pub shared_with_me: Vec<SharedWithMe>,
}

impl Context {
    /// Asks the global service (`my.shares`, `my.catalogs`) over `client`
    /// and joins its answer with this context's own catalog files.
    pub async fn overview(&self, client: &async_nats::Client) -> Result<Overview> {
        let global = self.global(client);
        let shares = global.call(&MySharesRequest {}).await?;
        // An unshared catalog's online status comes from my.catalogs; an
        // older global service without it still lists the shared ones.
        let known = global.call(&MyCatalogsRequest {}).await.ok();
        let online = |name: &str| {
            known.as_ref().map_or_else(
                || {
                    shares
                        .out_shares
                        .iter()
                        .any(|s| s.catalog == name && s.catalog_online)
                },
                |k| k.catalogs.iter().any(|c| c.catalog == name && c.online),
            )
        };
        let mine = self
            .catalog_names()
            .into_iter()
            .map(|catalog| MyCatalog {
                online: online(&catalog),
                shared_with: shared_with(&shares.out_shares, &catalog),
                owner: self.info.account.clone(),
                catalog,
            })
            .collect();
        let shared_with_me = shares.in_shares.into_iter().map(Into::into).collect();
        Ok(Overview {
            mine,
            shared_with_me,
        })
    }
}

fn shared_with(out: &[ShareSummary], catalog: &str) -> Vec<String> {
    out.iter()
        .filter(|s| s.catalog == catalog)
        .map(|s| s.to_account.clone())
        .collect()
}

impl From<ShareSummary> for SharedWithMe {
    fn from(s: ShareSummary) -> Self {
        Self {
            catalog: s.catalog,
            owner: s.from_account,
            online: s.catalog_online,
            revision: s.revision,
            imported: s.imported,
            expires_at: s.expires_at,
        }
    }
}
