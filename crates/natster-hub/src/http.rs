//! The hub's HTTP API: registration (nonce, then a signed request), public
//! account lookup, and hub info. Errors use the same envelope as NATS APIs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use data_encoding::BASE64URL_NOPAD;
use natster_auth::KeyPair;
use natster_auth::jwt::now;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::ApiResponse;
use natster_proto::hub::{
    AccountJwtResponse, HubInfo, NonceResponse, RegisterRequest, RegisterResponse,
};
use natster_proto::names::check_display_name;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;

use crate::authority::Authority;
use crate::invites;

/// How long a registration nonce stays valid.
pub const NONCE_TTL: Duration = Duration::from_secs(120);
const MAX_NONCES: usize = 10_000;

/// Who may register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    /// Anyone who can reach the hub.
    Open,
    /// Only with an invite code from `natster hub invite`.
    InviteOnly,
}

/// Shared state of the HTTP API.
#[derive(Debug)]
pub struct HttpState {
    /// The authority.
    pub authority: Arc<Authority>,
    /// Hub info returned to clients (URLs, keys).
    pub info: HubInfo,
    /// The operator JWT.
    pub operator_jwt: String,
    /// Registration mode.
    pub registration: Registration,
    /// The hub's data dir (invites live there).
    pub dir: PathBuf,
    nonces: Mutex<HashMap<String, Instant>>,
}

impl HttpState {
    /// New state.
    pub fn new(
        authority: Arc<Authority>,
        info: HubInfo,
        operator_jwt: String,
        registration: Registration,
        dir: PathBuf,
    ) -> Self {
        Self {
            authority,
            info,
            operator_jwt,
            registration,
            dir,
            nonces: Mutex::new(HashMap::new()),
        }
    }
}

/// The router.
pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/api/v1/nonce", get(nonce))
        .route("/api/v1/register", post(register))
        .route("/api/v1/accounts/{key}", get(account))
        .route("/api/v1/info", get(info))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

struct ApiReply<T>(ApiResponse<T>);

impl<T: Serialize> IntoResponse for ApiReply<T> {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

fn fail<T>(code: u16, msg: impl Into<String>) -> ApiReply<T> {
    ApiReply(ApiResponse::err(code, msg))
}

async fn nonce(State(s): State<Arc<HttpState>>) -> ApiReply<NonceResponse> {
    let mut bytes = [0u8; 32];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return fail(500, "no system randomness");
    }
    let nonce = BASE64URL_NOPAD.encode(&bytes);
    let mut nonces = s.nonces.lock().unwrap_or_else(|p| p.into_inner());
    let cutoff = Instant::now();
    nonces.retain(|_, t| *t > cutoff);
    if nonces.len() >= MAX_NONCES {
        return fail(503, "too many registrations in progress; try again shortly");
    }
    nonces.insert(nonce.clone(), Instant::now() + NONCE_TTL);
    ApiReply(ApiResponse::ok(NonceResponse {
        nonce,
        expires_in: NONCE_TTL.as_secs(),
    }))
}

async fn register(
    State(s): State<Arc<HttpState>>,
    body: axum::body::Bytes,
) -> ApiReply<RegisterResponse> {
    let req: RegisterRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return fail(400, format!("invalid registration JSON: {e}")),
    };
    if let Err(e) = check_public_key(&req.account, KeyKind::Account) {
        return fail(400, format!("account: {e}"));
    }
    if let Err(e) = check_public_key(&req.signing_key, KeyKind::Account) {
        return fail(400, format!("signing_key: {e}"));
    }
    if req.signing_key == req.account {
        return fail(
            400,
            "the signing key must differ from the account identity key",
        );
    }
    if let Err(e) = check_display_name(&req.name) {
        return fail(400, e);
    }
    // The nonce is used up whatever happens next.
    let fresh = {
        let mut nonces = s.nonces.lock().unwrap_or_else(|p| p.into_inner());
        nonces
            .remove(&req.nonce)
            .is_some_and(|t| t > Instant::now())
    };
    if !fresh {
        return fail(
            400,
            "unknown, expired or already used nonce: fetch a new one from /api/v1/nonce",
        );
    }
    let sig = match BASE64URL_NOPAD.decode(req.signature.as_bytes()) {
        Ok(sig) => sig,
        Err(_) => return fail(400, "signature is not base64url"),
    };
    let verified = KeyPair::from_public_key(&req.account)
        .is_ok_and(|k| k.verify(req.nonce.as_bytes(), &sig).is_ok());
    if !verified {
        return fail(403, "the nonce signature does not match the account key");
    }
    if s.registration == Registration::InviteOnly && s.authority.account_jwt(&req.account).is_none()
    {
        let Some(code) = req.invite.as_deref() else {
            return fail(
                403,
                "this hub is invite-only: pass --invite CODE (from `natster hub invite`)",
            );
        };
        if let Err(e) = invites::consume(&s.dir, code, now()) {
            return fail(403, e.to_string());
        }
    }
    match s
        .authority
        .register(&req.account, &req.signing_key, &req.name)
        .await
    {
        Ok(account_jwt) => ApiReply(ApiResponse::ok(RegisterResponse {
            operator_jwt: s.operator_jwt.clone(),
            account_jwt,
            hub: s.info.clone(),
        })),
        Err(e) => {
            if e.code() >= 500 {
                tracing::warn!(error = %e, "registration failed");
            }
            fail(e.code(), e.to_string())
        }
    }
}

async fn account(
    State(s): State<Arc<HttpState>>,
    Path(key): Path<String>,
) -> ApiReply<AccountJwtResponse> {
    if let Err(e) = check_public_key(&key, KeyKind::Account) {
        return fail(400, e.to_string());
    }
    match s.authority.account_jwt(&key) {
        Some(jwt) => ApiReply(ApiResponse::ok(AccountJwtResponse { jwt })),
        None => fail(404, format!("account {key} is not registered at this hub")),
    }
}

#[derive(Serialize)]
struct InfoWithOperator {
    #[serde(flatten)]
    info: HubInfo,
    operator_jwt: String,
}

async fn info(State(s): State<Arc<HttpState>>) -> ApiReply<InfoWithOperator> {
    ApiReply(ApiResponse::ok(InfoWithOperator {
        info: s.info.clone(),
        operator_jwt: s.operator_jwt.clone(),
    }))
}
