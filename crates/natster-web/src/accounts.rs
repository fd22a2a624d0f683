//! Account JWT lookups at the hub, checked against the operator's signing
//! keys and cached briefly: every catalog request needs the owner's claims
//! (the catalog client checks transfer offers against its signing keys),
//! and a seek in a video is a new request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use natster_auth::claims::{AccountClaims, AccountNats};
use natster_auth::jwt::Verifier;
use natster_auth::keys::{KeyKind, check_public_key};
use tokio::time::Instant;

use crate::error::WebError;

/// How long a looked-up account JWT is reused. Short: a new signing key or
/// revocation reaches the web within this.
const TTL: Duration = Duration::from_secs(30);

/// Verified account claims by account key.
#[derive(Debug)]
pub(crate) struct Accounts {
    hub: natster_client::HubHttp,
    operator_signing_keys: Vec<String>,
    cache: Mutex<HashMap<String, (AccountClaims, Instant)>>,
}

impl Accounts {
    pub(crate) fn new(hub: natster_client::HubHttp, operator_signing_keys: Vec<String>) -> Self {
        Self {
            hub,
            operator_signing_keys,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The current claims of `account`, from the cache or the hub.
    pub(crate) async fn get(&self, account: &str, fresh: bool) -> Result<AccountClaims, WebError> {
        check_public_key(account, KeyKind::Account)
            .map_err(|e| WebError::BadRequest(format!("account: {e}")))?;
        if !fresh {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((c, at)) = cache.get(account) {
                if at.elapsed() < TTL {
                    return Ok(c.clone());
                }
            }
        }
        let jwt = self.hub.account_jwt(account).await?;
        let claims = Verifier::new(self.operator_signing_keys.iter().cloned())
            .verify::<AccountNats>(&jwt)
            .map_err(|e| WebError::Internal(format!("the hub's JWT for {account}: {e}")))?;
        if claims.sub != account {
            return Err(WebError::Internal(
                "the hub returned another account".into(),
            ));
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(account.to_owned(), (claims.clone(), Instant::now()));
        Ok(claims)
    }
}
