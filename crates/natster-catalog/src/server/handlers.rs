//! Request handlers: `get`, `download` (and the credit subject, which has
//! its own per-transfer subscription and is ignored here), and any other
//! operation, which only the owner may call and the [`super::OpsHook`]
//! answers.

use std::sync::Arc;
use std::time::Duration;

use async_nats::service::Request;
use futures_util::StreamExt;
use natster_proto::ApiResponse;
use natster_proto::subjects::{caller_token, media};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::identity::{Refusal, caller_of};
use super::{OpRequest, ServeEvent, Shared, TransferInfo};
use crate::catalog::check_hash;
use crate::transfer::crypto::{OneTimeKey, TRANSFER_ID_LEN, decode_key, encode_key, random};
use crate::transfer::sender::{Outgoing, send};
use crate::transfer::{MAX_CHUNK, MIN_CHUNK, offer, total_chunks};
use natster_proto::catalog::{
    CatalogSummary, Credit, DownloadRequest, EntrySummary, OP_CREDIT, OP_DOWNLOAD, OP_GET, Offer,
    PROTOCOL_VERSION,
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

async fn download(
    shared: &Arc<Shared>,
    req: &Request,
    caller: &str,
    tasks: &mut JoinSet<()>,
) -> Result<natster_proto::catalog::DownloadResponse, Refusal> {
    let bad = |m: String| (400, m);
    let dr: DownloadRequest = serde_json::from_slice(&req.message.payload)
        .map_err(|e| bad(format!("invalid download request: {e}")))?;
    check_hash(&dr.hash).map_err(|e| bad(e.to_string()))?;
    let receiver_pub =
        decode_key(&dr.receiver_pub, "receiver_pub").map_err(|e| bad(e.to_string()))?;

    let catalog = shared
        .control
        .catalog()
        .ok_or((503, "the catalog is loading".to_owned()))?;
    let entry = catalog.find(&dr.hash).ok_or((
        404,
        format!("catalog {} has no file with hash {}", catalog.name, dr.hash),
    ))?;
    let path = catalog.root_dir.join(&entry.path);
    let size = entry.byte_size;
    match std::fs::metadata(&path) {
        Ok(m) if m.len() == size => {}
        Ok(_) => {
            return Err((
                409,
                format!(
                    "{} changed since it was indexed; try again after the rescan",
                    entry.path
                ),
            ));
        }
        Err(_) => return Err((404, format!("{} is no longer on disk", entry.path))),
    }
    if dr.offset > size {
        return Err(bad(format!(
            "offset {} is past the end ({size} bytes)",
            dr.offset
        )));
    }
    let length = dr.length.unwrap_or(size - dr.offset);
    if dr.offset.checked_add(length).is_none_or(|end| end > size) {
        return Err(bad(format!(
            "range {}+{length} is past the end ({size} bytes)",
            dr.offset
        )));
    }

    let permit = shared.slots.clone().try_acquire_owned().map_err(|_| {
        (
            503,
            format!(
                "busy: {} transfers in flight; try again shortly",
                shared.max_transfers
            ),
        )
    })?;

    let max_payload = shared
        .client
        .server_info()
        .max_payload
        .saturating_sub(FRAME_OVERHEAD);
    let chunk_size = dr
        .chunk_size
        .unwrap_or(shared.chunk_size)
        .clamp(MIN_CHUNK, MAX_CHUNK)
        .min(u32::try_from(max_payload).unwrap_or(u32::MAX));
    if chunk_size < MIN_CHUNK {
        return Err((
            500,
            format!("the NATS server's max_payload ({max_payload} bytes) is too small"),
        ));
    }
    let internal = |e: crate::error::Error| (500, e.to_string());
    let tid_bytes: [u8; TRANSFER_ID_LEN] = random().map_err(internal)?;
    let transfer_id = data_encoding::HEXLOWER.encode(&tid_bytes);
    let key = OneTimeKey::generate().map_err(internal)?;
    let sender_pub = key.public();
    let tkey = key
        .agree(&receiver_pub, &tid_bytes, &sender_pub, &receiver_pub)
        .map_err(|e| bad(e.to_string()))?;
    let total = total_chunks(length, chunk_size);
    let media_subject = media(caller, &shared.owner, &shared.catalog_name, &transfer_id);
    let the_offer = Offer {
        version: PROTOCOL_VERSION,
        transfer_id: transfer_id.clone(),
        owner: shared.owner.clone(),
        catalog: shared.catalog_name.clone(),
        caller: caller.to_owned(),
        hash: dr.hash.clone(),
        size,
        offset: dr.offset,
        length,
        chunk_size,
        total_chunks: total,
        window: shared.window,
        sender_pub: encode_key(&sender_pub),
        receiver_pub: dr.receiver_pub.clone(),
        media_subject: media_subject.clone(),
        expires: crate::catalog::now() + OFFER_TTL.as_secs() as i64,
    };
    let signed = offer::sign(&the_offer, &shared.signer, &shared.signer_jwt).map_err(internal)?;

    // Listen for credits before the receiver can send any.
    let credit_subject = format!(
        "*.natster.catalog.{}.{}.{OP_CREDIT}.{transfer_id}",
        shared.owner, shared.catalog_name
    );
    let mut credit_sub = shared
        .client
        .subscribe(credit_subject)
        .await
        .map_err(|e| (500, format!("cannot subscribe for credits: {e}")))?;
    shared
        .client
        .flush()
        .await
        .map_err(|e| (500, format!("NATS: {e}")))?;

    let info = TransferInfo {
        transfer_id: transfer_id.clone(),
        caller: caller.to_owned(),
        hash: dr.hash.clone(),
    };
    let cancel = shared.control.register(info.clone());
    let (credits_tx, credits_rx) = watch::channel(0u64);
    let outgoing = Outgoing {
        client: shared.client.clone(),
        media_subject,
        key: Arc::new(tkey),
        path,
        offset: dr.offset,
        length,
        chunk_size,
        total_chunks: total,
        credits: credits_rx,
        cancel,
        first_credit_by: Instant::now() + OFFER_TTL,
        credit_timeout: shared.credit_timeout,
    };
    let task_shared = shared.clone();
    let caller_owned = caller.to_owned();
    shared.emit(ServeEvent::TransferStarted(info.clone()));
    tasks.spawn(async move {
        let _permit = permit;
        let forward = async {
            while let Some(m) = credit_sub.next().await {
                if caller_token(&m.subject) != Some(caller_owned.as_str()) {
                    continue;
                }
                if let Ok(c) = serde_json::from_slice::<Credit>(&m.payload) {
                    if c.stop {
                        return;
                    }
                    let g = c.granted.min(total);
                    credits_tx.send_if_modified(|cur| {
                        let more = g > *cur;
                        if more {
                            *cur = g;
                        }
                        more
                    });
                }
            }
            // Keep the sender's view of credits alive until it finishes.
            std::future::pending::<()>().await;
        };
        let result = tokio::select! {
            r = send(outgoing) => r,
            () = forward => Err(crate::error::Error::Aborted(
                "the receiver stopped the transfer".into(),
            )),
        };
        task_shared.control.unregister(&info.transfer_id);
        let (bytes, error) = match result {
            Ok(b) => (b, None),
            Err(e) => (0, Some(e.to_string())),
        };
        task_shared.emit(ServeEvent::TransferFinished { info, bytes, error });
    });
    Ok(signed)
}
