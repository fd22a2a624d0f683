//! Request handlers: `get`, `download` (and the credit subject, which has
//! its own per-transfer subscription and is ignored here), and any other
//! operation, which only the owner may call and the [`super::config::OpsHook`]
//! answers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_nats::service::Request;
use natster_proto::ApiResponse;
use natster_proto::subjects::{caller_token, media};
use serde::Serialize;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::config::{OpRequest, ServeEvent};
use super::control::TransferInfo;
use super::identity::{Refusal, caller_of};
use super::shared::Shared;
use crate::catalog::check_hash;
use crate::transfer::crypto::{
    OneTimeKey, TRANSFER_ID_LEN, TransferKey, decode_key, encode_key, random,
};
use crate::transfer::offer;
use crate::transfer::sender::{Outgoing, send};
use crate::transfer::sizes::{MAX_CHUNK, MIN_CHUNK, total_chunks};
use natster_proto::catalog::{
    CatalogSummary, DownloadRequest, DownloadResponse, EntrySummary, OP_CREDIT, OP_DOWNLOAD,
    OP_GET, Offer, PROTOCOL_VERSION,
};

/// How long a receiver has to send its first credit after the offer.
const OFFER_TTL: Duration = Duration::from_secs(30);
/// Room for the frame header, tag and NATS headers under `max_payload`.
const FRAME_OVERHEAD: usize = 1024;

pub(crate) async fn handle(shared: &Arc<Shared>, req: Request, tasks: &mut JoinSet<()>) {
    let info = req
        .message
        .headers
        .as_ref()
        .and_then(|h| h.get(natster_proto::request_info::HEADER))
        .map(|v| v.as_str().to_owned());
    let (caller, op) = match caller_of(
        &req.message.subject,
        info.as_deref(),
        &shared.owner,
        &shared.catalog_name,
    ) {
        Ok(c) => c,
        Err(refusal) => {
            let caller = caller_token(&req.message.subject)
                .unwrap_or_default()
                .to_owned();
            return refuse(shared, &req, &caller, "", refusal).await;
        }
    };
    if op.starts_with(OP_CREDIT) && op[OP_CREDIT.len()..].starts_with('.') {
        // Credits reach the transfer through its own subscription (which
        // works whichever queue member holds the transfer); no reply.
        return;
    }
    if !(shared.access)(&caller, &shared.catalog_name) {
        let why = format!(
            "account {caller} has no access to catalog {}",
            shared.catalog_name
        );
        return refuse(shared, &req, &caller, &op, (403, why)).await;
    }
    let result = match op.as_str() {
        OP_GET => get(shared).map(|s| serde_json::to_value(s).unwrap_or_default()),
        OP_DOWNLOAD => download(shared, &req, &caller, tasks)
            .await
            .map(|s| serde_json::to_value(s).unwrap_or_default()),
        _ => return owner_op(shared, req, caller, op, tasks).await,
    };
    match result {
        Ok(data) => reply(&req, ApiResponse::ok(data)).await,
        Err(refusal) => refuse(shared, &req, &caller, &op, refusal).await,
    }
}

/// Anything but get/download goes to the ops hook, for the owner only.
/// The owner's own users reach it (token 1 = owner, no request-info
/// header); another account, even one the catalog is shared with, is
/// refused here, and one without an import has no route to it at all.
async fn owner_op(
    shared: &Arc<Shared>,
    req: Request,
    caller: String,
    op: String,
    tasks: &mut JoinSet<()>,
) {
    let Some(hook) = shared.ops.clone() else {
        return refuse(
            shared,
            &req,
            &caller,
            &op,
            (404, format!("unknown operation {op:?}")),
        )
        .await;
    };
    if caller != shared.owner {
        let why = format!(
            "only the owner of catalog {} may call {op:?}",
            shared.catalog_name
        );
        return refuse(shared, &req, &caller, &op, (403, why)).await;
    }
    let call = OpRequest {
        caller: caller.clone(),
        catalog: shared.catalog_name.clone(),
        op: op.clone(),
        body: req.message.payload.clone(),
    };
    let shared = shared.clone();
    tasks.spawn(async move {
        let resp = hook(call).await;
        if resp.code != 200 {
            shared.emit(ServeEvent::Refused {
                caller,
                op,
                code: resp.code,
                reason: resp.error.clone().unwrap_or_default(),
            });
        }
        reply(&req, resp).await;
    });
}

async fn refuse(shared: &Shared, req: &Request, caller: &str, op: &str, (code, reason): Refusal) {
    shared.emit(ServeEvent::Refused {
        caller: caller.to_owned(),
        op: op.to_owned(),
        code,
        reason: reason.clone(),
    });
    reply(req, ApiResponse::<()>::err(code, reason)).await;
}

async fn reply<T: Serialize>(req: &Request, resp: ApiResponse<T>) {
    // No reply subject (a plain publish): nothing to answer.
    if req.message.reply.is_none() {
        return;
    }
    if let Ok(body) = serde_json::to_vec(&resp) {
        let _ = req.respond(Ok(body.into())).await;
    }
}

fn get(shared: &Shared) -> Result<CatalogSummary, Refusal> {
    let c = shared
        .control
        .catalog()
        .ok_or((503, "the catalog is loading".to_owned()))?;
    Ok(CatalogSummary {
        name: c.name.clone(),
        owner: shared.owner.clone(),
        description: c.description.clone(),
        image: c.image.clone(),
        revision: c.revision,
        last_modified: c.last_modified,
        entries: c
            .entries
            .iter()
            .map(|e| EntrySummary {
                path: e.path.clone(),
                description: e.description.clone(),
                mime_type: e.mime_type.clone(),
                hash: e.hash.clone(),
                byte_size: e.byte_size,
            })
            .collect(),
    })
}

/// `download`: checks the request, reserves a transfer slot, signs an
/// offer and starts sending once the receiver grants credit.
async fn download(
    shared: &Arc<Shared>,
    req: &Request,
    caller: &str,
    tasks: &mut JoinSet<()>,
) -> Result<DownloadResponse, Refusal> {
    let (dr, receiver_pub) = parse_download(&req.message.payload)?;
    let (path, size) = locate(shared, &dr.hash)?;
    let length = range_length(dr.offset, dr.length, size)?;
    let permit = shared.slots.clone().try_acquire_owned().map_err(|_| {
        (
            503,
            format!(
                "busy: {} transfers in flight; try again shortly",
                shared.max_transfers
            ),
        )
    })?;
    let chunk_size = chunk_size(shared, dr.chunk_size)?;
    let (the_offer, tkey) =
        make_offer(shared, caller, &dr, &receiver_pub, size, length, chunk_size)?;
    let internal = |e: crate::error::Error| (500, e.to_string());
    let signed = offer::sign(&the_offer, &shared.signer, &shared.signer_jwt).map_err(internal)?;
    // Listen for credits before the receiver can send any.
    let credit_sub = subscribe_credits(shared, &the_offer.transfer_id).await?;
    let info = TransferInfo {
        transfer_id: the_offer.transfer_id,
        caller: caller.to_owned(),
        hash: dr.hash,
    };
    let outgoing = Outgoing {
        client: shared.client.clone(),
        caller: caller.to_owned(),
        media_subject: the_offer.media_subject,
        key: Arc::new(tkey),
        path,
        offset: dr.offset,
        length,
        chunk_size,
        total_chunks: the_offer.total_chunks,
        cancel: shared.control.register(info.clone()),
        first_credit_by: Instant::now() + OFFER_TTL,
        credit_timeout: shared.credit_timeout,
    };
    start_sending(shared, tasks, permit, info, outgoing, credit_sub);
    Ok(signed)
}

/// The request, and the receiver's one-time public key in it.
fn parse_download(payload: &[u8]) -> Result<(DownloadRequest, [u8; 32]), Refusal> {
    let bad = |m: String| (400, m);
    let dr: DownloadRequest = serde_json::from_slice(payload)
        .map_err(|e| bad(format!("invalid download request: {e}")))?;
    check_hash(&dr.hash).map_err(|e| bad(e.to_string()))?;
    let receiver_pub =
        decode_key(&dr.receiver_pub, "receiver_pub").map_err(|e| bad(e.to_string()))?;
    Ok((dr, receiver_pub))
}

/// The file with `hash`, and its size, if it is still what was indexed
/// (same size; the receiver's SHA-256 catches the rest).
fn locate(shared: &Shared, hash: &str) -> Result<(PathBuf, u64), Refusal> {
    let catalog = shared
        .control
        .catalog()
        .ok_or((503, "the catalog is loading".to_owned()))?;
    let entry = catalog.find(hash).ok_or((
        404,
        format!("catalog {} has no file with hash {hash}", catalog.name),
    ))?;
    let path = catalog.root_dir.join(&entry.path);
    let size = entry.byte_size;
    match std::fs::metadata(&path) {
        Ok(m) if m.len() == size => Ok((path, size)),
        Ok(_) => Err((
            409,
            format!(
                "{} changed since it was indexed; try again after the rescan",
                entry.path
            ),
        )),
        Err(_) => Err((404, format!("{} is no longer on disk", entry.path))),
    }
}

/// The length of the range at `offset` (`None`: to the end) of a file of
/// `size` bytes, if it lies within the file.
fn range_length(offset: u64, length: Option<u64>, size: u64) -> Result<u64, Refusal> {
    if offset > size {
        return Err((
            400,
            format!("offset {offset} is past the end ({size} bytes)"),
        ));
    }
    let length = length.unwrap_or(size - offset);
    if offset.checked_add(length).is_none_or(|end| end > size) {
        return Err((
            400,
            format!("range {offset}+{length} is past the end ({size} bytes)"),
        ));
    }
    Ok(length)
}

/// The chunk size: what the receiver asked for (or the server's), within
/// the protocol's bounds and under the NATS server's `max_payload`.
fn chunk_size(shared: &Shared, asked: Option<u32>) -> Result<u32, Refusal> {
    let max_payload = shared
        .client
        .server_info()
        .max_payload
        .saturating_sub(FRAME_OVERHEAD);
    let chunk_size = asked
        .unwrap_or(shared.chunk_size)
        .clamp(MIN_CHUNK, MAX_CHUNK)
        .min(u32::try_from(max_payload).unwrap_or(u32::MAX));
    if chunk_size < MIN_CHUNK {
        return Err((
            500,
            format!("the NATS server's max_payload ({max_payload} bytes) is too small"),
        ));
    }
    Ok(chunk_size)
}

/// A fresh transfer id and sender key, the transfer key agreed with the
/// receiver's, and the offer that binds them to this caller and range.
fn make_offer(
    shared: &Shared,
    caller: &str,
    dr: &DownloadRequest,
    receiver_pub: &[u8; 32],
    size: u64,
    length: u64,
    chunk_size: u32,
) -> Result<(Offer, TransferKey), Refusal> {
    let internal = |e: crate::error::Error| (500, e.to_string());
    let tid_bytes: [u8; TRANSFER_ID_LEN] = random().map_err(internal)?;
    let transfer_id = data_encoding::HEXLOWER.encode(&tid_bytes);
    let key = OneTimeKey::generate().map_err(internal)?;
    let sender_pub = key.public();
    let tkey = key
        .agree(receiver_pub, &tid_bytes, &sender_pub, receiver_pub)
        .map_err(|e| (400, e.to_string()))?;
    let the_offer = Offer {
        version: PROTOCOL_VERSION,
        media_subject: media(caller, &shared.owner, &shared.catalog_name, &transfer_id),
        transfer_id,
        owner: shared.owner.clone(),
        catalog: shared.catalog_name.clone(),
        caller: caller.to_owned(),
        hash: dr.hash.clone(),
        size,
        offset: dr.offset,
        length,
        chunk_size,
        total_chunks: total_chunks(length, chunk_size),
        window: shared.window,
        sender_pub: encode_key(&sender_pub),
        receiver_pub: dr.receiver_pub.clone(),
        expires: crate::catalog::now() + OFFER_TTL.as_secs() as i64,
    };
    Ok((the_offer, tkey))
}

/// The transfer's own credit subscription, confirmed by the server.
async fn subscribe_credits(
    shared: &Shared,
    transfer_id: &str,
) -> Result<async_nats::Subscriber, Refusal> {
    let credit_subject = format!(
        "*.natster.catalog.{}.{}.{OP_CREDIT}.{transfer_id}",
        shared.owner, shared.catalog_name
    );
    let credit_sub = shared
        .client
        .subscribe(credit_subject)
        .await
        .map_err(|e| (500, format!("cannot subscribe for credits: {e}")))?;
    shared
        .client
        .flush()
        .await
        .map_err(|e| (500, format!("NATS: {e}")))?;
    Ok(credit_sub)
}

/// Sends the (registered) transfer in a task of its own, which holds the
/// slot until it ends.
fn start_sending(
    shared: &Arc<Shared>,
    tasks: &mut JoinSet<()>,
    permit: OwnedSemaphorePermit,
    info: TransferInfo,
    outgoing: Outgoing,
    credit_sub: async_nats::Subscriber,
) {
    let shared_task = shared.clone();
    shared.emit(ServeEvent::TransferStarted(info.clone()));
    tasks.spawn(async move {
        let _permit = permit;
        let result = send(outgoing, credit_sub).await;
        shared_task.control.unregister(&info.transfer_id);
        let (bytes, error) = match result {
            Ok(b) => (b, None),
            Err(e) => (0, Some(e.to_string())),
        };
        shared_task.emit(ServeEvent::TransferFinished { info, bytes, error });
    });
}
