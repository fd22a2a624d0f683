//! Creating an identity on this machine and registering it at a hub
//! (`natster init`): keys are generated here, the hub gets public keys and
//! a signature of its nonce, and returns the account JWT it signed; this
//! machine then signs its own CLI user JWT with the account signing key.

use std::path::Path;

use natster_auth::KeyPair;
use natster_auth::claims::{AccountNats, Claims, OperatorNats, UserNats};
use natster_auth::creds::Creds;
use natster_auth::jwt::{Verifier, decode, encode, now};
use natster_auth::keys::{KeyKind, Seed};
use natster_proto::global::{EventPutRequest, InitializeData, NewEvent};
use natster_proto::hub::RegisterResponse;
use natster_proto::names::check_display_name;

use crate::context::{Context, ContextInfo, NewContext};
use crate::error::{Error, Result};
use crate::hub::HubHttp;

/// Who registers, and where the new context goes.
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    /// The natster home directory.
    pub home: &'a Path,
    /// The new context's name.
    pub context: &'a str,
    /// The account's display name.
    pub name: &'a str,
    /// An invite code, for an invite-only hub.
    pub invite: Option<&'a str>,
}

/// Makes the keys, registers the account at `hub`, checks what the hub
/// signed, and writes the new context (seeds 0600, never sent).
pub async fn register(hub: &HubHttp, r: &Registration<'_>) -> Result<Context> {
    check_display_name(r.name).map_err(Error::bad_request)?;
    let account = KeyKind::Account.generate();
    let signing = KeyKind::Account.generate();
    let user = KeyKind::User.generate();
    let reg = hub
        .register_account(&account, &signing.public_key(), r.name, r.invite)
        .await?;
    let operator = check_registration(&reg, &account, &signing)?;
    let user_claims = Claims::new(
        user.public_key(),
        UserNats::for_account(account.public_key()),
    )
    .with_name(format!("{} (cli)", r.name));
    let user_jwt = encode(&user_claims, &signing)
        .map_err(|e| Error::invalid("cannot sign the user JWT", e))?;
    let seed = Seed::of(&user).map_err(|e| Error::invalid("unusable user key", e))?;
    let creds = Creds::new(user_jwt, seed).map_err(|e| Error::invalid("unusable creds", e))?;
    let info = ContextInfo {
        name: r.context.to_owned(),
        hub_url: hub.url().to_owned(),
        nats_urls: reg.hub.nats_urls.clone(),
        websocket_urls: reg.hub.websocket_urls.clone(),
        account: account.public_key(),
        account_name: r.name.to_owned(),
        signing_key: signing.public_key(),
        user: user.public_key(),
        operator,
        well_known: reg.hub.accounts.clone(),
        created_at: now(),
    };
    NewContext {
        info,
        account,
        signing,
        creds,
        account_jwt: reg.account_jwt,
        operator_jwt: reg.operator_jwt,
    }
    .write(r.home)
}

/// Trust on first use: the operator JWT must be self-signed and match the
/// hub's info; the account JWT must be issued by one of its signing keys,
/// for our account, listing our signing key. Returns the operator key.
fn check_registration(
    reg: &RegisterResponse,
    account: &KeyPair,
    signing: &KeyPair,
) -> Result<String> {
    let op = decode::<OperatorNats>(&reg.operator_jwt)
        .map_err(|e| Error::invalid("the hub sent a bad operator JWT", e))?;
    if op.iss != op.sub || op.sub != reg.hub.operator {
        return Err(Error::Invalid {
            what: "the hub sent an operator JWT that does not match its operator key".into(),
            source: None,
        });
    }
    let acc = Verifier::new(op.nats.signing_keys.clone())
        .verify::<AccountNats>(&reg.account_jwt)
        .map_err(|e| Error::invalid("the hub sent a bad account JWT", e))?;
    let ours = acc.sub == account.public_key()
        && acc
            .nats
            .signing_key_ids()
            .any(|k| k == signing.public_key());
    if !ours {
        return Err(Error::Invalid {
            what: "the hub sent an account JWT for another account or without our signing key"
                .into(),
            source: None,
        });
    }
    Ok(op.sub)
}

/// What [`init`] did.
#[derive(Debug)]
pub struct Initialized {
    /// The context, new or as it was.
    pub ctx: Context,
    /// True when the context already existed (for the same hub).
    pub existing: bool,
    /// Set when the global service did not record the start (the account
    /// works anyway).
    pub record_error: Option<Error>,
}

/// `natster init`: registers a new context at `hub` (see [`register`]), or
/// finds the existing one of that hub; then connects, and records the start
/// with the global service (once; a repeat repairs a start it missed).
pub async fn init(hub: &HubHttp, r: &Registration<'_>) -> Result<Initialized> {
    let (ctx, existing) = match Context::load(r.home, r.context) {
        Ok(ctx) if ctx.info.hub_url.trim_end_matches('/') != hub.url() => {
            return Err(Error::bad_request(format!(
                "context {:?} already belongs to hub {}; use --context OTHER for {}",
                r.context,
                ctx.info.hub_url,
                hub.url()
            )));
        }
        Ok(ctx) => (ctx, true),
        Err(_) => (register(hub, r).await?, false),
    };
    let client = ctx.connect().await?;
    let record_error = match ctx.global(&client).call(&initialized_event(&ctx)).await {
        // Already initialized: a second start is a conflict, and fine.
        Err(e) if e.code() != Some(409) => Some(e),
        _ => None,
    };
    Ok(Initialized {
        ctx,
        existing,
        record_error,
    })
}

/// The global service's record that this account started using Natster.
/// Its id is fixed, so sending it again is harmless.
pub fn initialized_event(ctx: &Context) -> EventPutRequest {
    let mut req = EventPutRequest::from(NewEvent::AccountInitialized(InitializeData {
        name: Some(ctx.info.account_name.clone()),
    }));
    req.id = Some(format!("init-{}", ctx.info.account));
    req
}
