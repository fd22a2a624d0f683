//! One-time keys and chunk sealing.
//!
//! Each side makes a fresh X25519 key per transfer; HKDF-SHA256 turns the
//! shared secret into one AES-256-GCM key, with the transfer id as salt and
//! both public keys in the info, so the key belongs to exactly this transfer
//! between exactly these two keys. AES-GCM runs on AES-NI/VAES through
//! `ring`, which is what makes MiB-sized chunks cheap.
//!
//! A chunk frame is `[version][kind][index: u64 BE][ciphertext][16-byte tag]`.
//! The header is in the clear (the receiver needs it to build the nonce) but
//! authenticated: the nonce is `kind || 0 0 0 || index` and the AAD repeats
//! the transfer id, index and kind. A frame moved to another index, another
//! kind (a data chunk replayed as the final one) or another transfer fails
//! to open. Since one key seals each (index, kind) at most once, nonces never
//! repeat under a key.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{EphemeralPrivateKey, UnparsedPublicKey, X25519, agree_ephemeral};
use ring::hkdf::{HKDF_SHA256, Salt};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};
use natster_proto::catalog::PROTOCOL_VERSION;

/// Bytes of the clear header of a frame.
pub const HEADER_LEN: usize = 10;
/// Bytes of the AEAD tag at the end of a frame.
pub const TAG_LEN: usize = 16;
/// Bytes of a transfer id.
pub const TRANSFER_ID_LEN: usize = 16;

const HKDF_INFO: &[u8] = b"natster-transfer-v1";
const AAD_LABEL: &[u8] = b"natster-chunk-v1";

/// What a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// A chunk of the file; more follow.
    Data = 0,
    /// The last chunk of the file (may be empty).
    Final = 1,
    /// The sender gives up; the plaintext is the reason, for people.
    Abort = 2,
}

impl ChunkKind {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(ChunkKind::Data),
            1 => Some(ChunkKind::Final),
            2 => Some(ChunkKind::Abort),
            _ => None,
        }
    }
}

/// Random bytes from the OS.
pub fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| Error::Crypto("the system random generator failed".into()))?;
    Ok(b)
}

/// A one-time X25519 key. Consumed by [`OneTimeKey::agree`], so it can
/// only ever serve one transfer.
pub struct OneTimeKey {
    private: EphemeralPrivateKey,
    public: [u8; 32],
}

impl std::fmt::Debug for OneTimeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeKey")
            .field("public", &encode_key(&self.public))
            .finish_non_exhaustive()
    }
}

impl OneTimeKey {
    /// A fresh key.
    pub fn generate() -> Result<Self> {
        let rng = SystemRandom::new();
        let private = EphemeralPrivateKey::generate(&X25519, &rng)
            .map_err(|_| Error::Crypto("cannot generate an X25519 key".into()))?;
        let pk = private
            .compute_public_key()
            .map_err(|_| Error::Crypto("cannot compute an X25519 public key".into()))?;
        let mut public = [0u8; 32];
        public.copy_from_slice(pk.as_ref());
        Ok(Self { private, public })
    }

    /// The public half.
    pub fn public(&self) -> [u8; 32] {
        self.public
    }

    /// Agrees with `peer` and derives the transfer key. `sender` and
    /// `receiver` are the two public keys in protocol order (whichever side
    /// we are), so both sides derive the same key.
    pub fn agree(
        self,
        peer: &[u8; 32],
        transfer_id: &[u8; TRANSFER_ID_LEN],
        sender: &[u8; 32],
        receiver: &[u8; 32],
    ) -> Result<TransferKey> {
        let peer = UnparsedPublicKey::new(&X25519, peer);
        let okm_key = agree_ephemeral(self.private, &peer, |secret| {
            // An all-zero secret means the peer sent a low-order point: the
            // key would be known to anyone.
            if secret.iter().all(|b| *b == 0) {
                return None;
            }
            let prk = Salt::new(HKDF_SHA256, transfer_id).extract(secret);
            let info = [HKDF_INFO, sender, receiver];
            let okm = prk.expand(&info, &AES_256_GCM).ok()?;
            UnboundKey::from(okm).into()
        })
        .map_err(|_| Error::Untrusted("the peer's X25519 key is invalid".into()))?
        .ok_or_else(|| Error::Untrusted("the peer's X25519 key is a low-order point".into()))?;
        Ok(TransferKey {
            key: LessSafeKey::new(okm_key),
            transfer_id: *transfer_id,
        })
    }
}

/// The AEAD key of one transfer.
pub struct TransferKey {
    key: LessSafeKey,
    transfer_id: [u8; TRANSFER_ID_LEN],
}

impl std::fmt::Debug for TransferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransferKey(<redacted>)")
    }
}

fn nonce(index: u64, kind: ChunkKind) -> Nonce {
    let mut n = [0u8; 12];
    n[0] = kind as u8;
    n[4..].copy_from_slice(&index.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn aad(
    transfer_id: &[u8; TRANSFER_ID_LEN],
    index: u64,
    kind: ChunkKind,
) -> [u8; 16 + TRANSFER_ID_LEN + 9] {
    let mut a = [0u8; 16 + TRANSFER_ID_LEN + 9];
    a[..16].copy_from_slice(AAD_LABEL);
    a[16..16 + TRANSFER_ID_LEN].copy_from_slice(transfer_id);
    a[16 + TRANSFER_ID_LEN..16 + TRANSFER_ID_LEN + 8].copy_from_slice(&index.to_be_bytes());
    a[16 + TRANSFER_ID_LEN + 8] = kind as u8;
    a
}

/// A plaintext chunk being built in a buffer that already has room for the
/// header, so sealing happens in place with no copy.
#[derive(Debug)]
pub struct PlainFrame(Vec<u8>);

impl PlainFrame {
    /// A buffer for up to `capacity` plaintext bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut v = Vec::with_capacity(HEADER_LEN + capacity + TAG_LEN);
        v.resize(HEADER_LEN, 0);
        Self(v)
    }

    /// A frame in a used buffer, for up to `capacity` plaintext bytes.
    pub fn reuse(mut v: Vec<u8>, capacity: usize) -> Self {
        v.clear();
        v.reserve(HEADER_LEN + capacity + TAG_LEN);
        v.resize(HEADER_LEN, 0);
        Self(v)
    }

    /// A frame holding `plaintext`.
    pub fn from_plaintext(plaintext: &[u8]) -> Self {
        let mut f = Self::with_capacity(plaintext.len());
        f.0.extend_from_slice(plaintext);
        f
    }

    /// The whole buffer, header space included; plaintext goes after [`HEADER_LEN`].
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

/// A sealed frame, ready to publish.
#[derive(Debug, Clone)]
pub struct SealedFrame(pub Vec<u8>);

/// An opened frame.
#[derive(Debug)]
pub struct OpenedFrame<'a> {
    /// Chunk index.
    pub index: u64,
    /// Kind.
    pub kind: ChunkKind,
    /// The authenticated plaintext.
    pub plaintext: &'a [u8],
}

impl TransferKey {
    /// Seals `frame` as chunk `index` of `kind`.
    pub fn seal(&self, index: u64, kind: ChunkKind, frame: PlainFrame) -> Result<SealedFrame> {
        let mut buf = frame.0;
        buf[0] = PROTOCOL_VERSION;
        buf[1] = kind as u8;
        buf[2..HEADER_LEN].copy_from_slice(&index.to_be_bytes());
        let tag = self
            .key
            .seal_in_place_separate_tag(
                nonce(index, kind),
                Aad::from(aad(&self.transfer_id, index, kind)),
                &mut buf[HEADER_LEN..],
            )
            .map_err(|_| Error::Crypto("chunk sealing failed".into()))?;
        buf.extend_from_slice(tag.as_ref());
        Ok(SealedFrame(buf))
    }

    /// Opens a frame in place: checks version, kind, and the tag over
    /// header and payload. Any failure is [`Error::Integrity`].
    pub fn open<'a>(&self, frame: &'a mut [u8]) -> Result<OpenedFrame<'a>> {
        if frame.len() < HEADER_LEN + TAG_LEN {
            return Err(Error::Integrity(format!(
                "a {}-byte frame is too short",
                frame.len()
            )));
        }
        if frame[0] != PROTOCOL_VERSION {
            return Err(Error::Integrity(format!(
                "unknown frame version {}",
                frame[0]
            )));
        }
        let kind = ChunkKind::from_byte(frame[1])
            .ok_or_else(|| Error::Integrity(format!("unknown frame kind {}", frame[1])))?;
        let mut idx = [0u8; 8];
        idx.copy_from_slice(&frame[2..HEADER_LEN]);
        let index = u64::from_be_bytes(idx);
        let plaintext = self
            .key
            .open_in_place(
                nonce(index, kind),
                Aad::from(aad(&self.transfer_id, index, kind)),
                &mut frame[HEADER_LEN..],
            )
            .map_err(|_| Error::Integrity(format!("chunk {index} failed authentication")))?;
        Ok(OpenedFrame {
            index,
            kind,
            plaintext,
        })
    }
}

/// A key for the wire: base64url without padding.
pub fn encode_key(k: &[u8; 32]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(k)
}

/// Reads a key from the wire.
pub fn decode_key(s: &str, what: &str) -> Result<[u8; 32]> {
    let v = data_encoding::BASE64URL_NOPAD
        .decode(s.as_bytes())
        .map_err(|_| Error::Invalid(format!("{what} is not base64url")))?;
    v.try_into()
        .map_err(|_| Error::Invalid(format!("{what} is not a 32-byte X25519 key")))
}

/// Parses a transfer id (32 lowercase hex characters).
pub fn decode_transfer_id(s: &str) -> Result<[u8; TRANSFER_ID_LEN]> {
    let v = data_encoding::HEXLOWER
        .decode(s.as_bytes())
        .map_err(|_| Error::Invalid(format!("transfer id {s:?} is not lowercase hex")))?;
    v.try_into()
        .map_err(|_| Error::Invalid(format!("transfer id {s:?} is not 128 bits")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (TransferKey, TransferKey) {
        let s = OneTimeKey::generate().unwrap();
        let r = OneTimeKey::generate().unwrap();
        let (sp, rp) = (s.public(), r.public());
        let id = [7u8; TRANSFER_ID_LEN];
        (
            s.agree(&rp, &id, &sp, &rp).unwrap(),
            r.agree(&sp, &id, &sp, &rp).unwrap(),
        )
    }

    #[test]
    fn round_trip_and_every_tamper_is_caught() {
        let (tx, rx) = pair();
        let sealed = tx
            .seal(3, ChunkKind::Data, PlainFrame::from_plaintext(b"hello"))
            .unwrap();
        let mut f = sealed.0.clone();
        let o = rx.open(&mut f).unwrap();
        assert_eq!(
            (o.index, o.kind, o.plaintext),
            (3, ChunkKind::Data, &b"hello"[..])
        );

        // Moved to another index, turned into the final chunk, flipped bit, truncated.
        let mut moved = sealed.0.clone();
        moved[2..10].copy_from_slice(&4u64.to_be_bytes());
        assert!(matches!(rx.open(&mut moved), Err(Error::Integrity(_))));
        let mut made_final = sealed.0.clone();
        made_final[1] = ChunkKind::Final as u8;
        assert!(matches!(rx.open(&mut made_final), Err(Error::Integrity(_))));
        let mut flipped = sealed.0.clone();
        flipped[HEADER_LEN] ^= 1;
        assert!(matches!(rx.open(&mut flipped), Err(Error::Integrity(_))));
        let mut short = sealed.0[..HEADER_LEN + 3].to_vec();
        assert!(matches!(rx.open(&mut short), Err(Error::Integrity(_))));

        // Another transfer's key cannot open it.
        let (_, other_rx) = pair();
        let mut f = sealed.0.clone();
        assert!(matches!(other_rx.open(&mut f), Err(Error::Integrity(_))));

        // An empty final chunk works (zero-byte files).
        let mut empty = tx
            .seal(0, ChunkKind::Final, PlainFrame::with_capacity(0))
            .unwrap()
            .0;
        assert_eq!(rx.open(&mut empty).unwrap().plaintext, b"");
    }

    #[test]
    fn low_order_peer_key_is_refused() {
        let k = OneTimeKey::generate().unwrap();
        let p = k.public();
        let r = k.agree(&[0u8; 32], &[0; TRANSFER_ID_LEN], &p, &[0u8; 32]);
        assert!(matches!(r, Err(Error::Untrusted(_))), "{r:?}");
    }

    #[test]
    fn wire_encodings() {
        let k = [9u8; 32];
        assert_eq!(decode_key(&encode_key(&k), "k").unwrap(), k);
        assert!(decode_key("AAAA", "k").is_err());
        assert!(decode_key("!!", "k").is_err());
        assert_eq!(decode_transfer_id(&"0a".repeat(16)).unwrap(), [10u8; 16]);
        assert!(decode_transfer_id("0A").is_err());
    }
}
