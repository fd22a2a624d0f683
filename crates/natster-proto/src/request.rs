//! Binding each request type to its service, operation and reply, so a
//! client sends `R` and gets `R::Reply` back without naming the operation
//! as a string, and a request meant for one service cannot be sent to
//! another: `GlobalClient::call` takes only `R: Request<Service = Global>`.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A Natster service that answers requests over NATS.
pub trait Service {
    /// How errors and logs name it ("hub", "global service", ...).
    const NAME: &'static str;
}

/// The hub's account control plane: `<caller>.natster.hub.<op>`.
#[derive(Debug, Clone, Copy)]
pub enum Hub {}
impl Service for Hub {
    const NAME: &'static str = "hub";
}

/// The global service: `<caller>.natster.global.<op>`.
#[derive(Debug, Clone, Copy)]
pub enum Global {}
impl Service for Global {
    const NAME: &'static str = "global service";
}

/// A catalog server: `<caller>.natster.catalog.<owner>.<catalog>.<op>`.
#[derive(Debug, Clone, Copy)]
pub enum CatalogServer {}
impl Service for CatalogServer {
    const NAME: &'static str = "catalog server";
}

/// A request: its body is `Self` as JSON, its answer the envelope
/// ([`crate::ApiResponse`]) around `Reply`.
pub trait Request: Serialize {
    /// Who answers it.
    type Service: Service;
    /// The operation: the subject's last token(s).
    const OP: &'static str;
    /// The envelope's `data` on success.
    type Reply: DeserializeOwned + Serialize;
}

/// `bind!(Service: Request => OP, Reply; ...)` implements [`Request`].
macro_rules! bind {
    ($service:ty: $($req:ty => $op:expr, $reply:ty;)+) => {
        $(
            impl $crate::request::Request for $req {
                type Service = $service;
                const OP: &'static str = $op;
                type Reply = $reply;
            }
        )+
    };
}
pub(crate) use bind;
