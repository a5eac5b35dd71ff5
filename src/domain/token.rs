//! Secrets handed to people or machines (session cookies, API tokens, CSRF
//! tokens, the first-admin link) and password hashes.
//!
//! Secrets are random, and only their SHA-256 is stored: a leaked database
//! does not hand out working sessions or tokens.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random secret: 32 bytes from the OS, hex-encoded, with a readable prefix.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// What the database stores for a secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in constant time.
pub fn secrets_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// An argon2id hash in PHC format.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that a wrong
/// email takes as long as a wrong password.
pub fn dummy_password_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c2l0cmVwZHVtbXlzYWx0$0ElUqg3kvZyB2v0Hrdb5U6mbxo7Nw5o+pDeoEBIyXYU"
}

// ---- subscriber links: HMAC-SHA256 of the site secret and a subscriber's
// random `link_key` (see `notify::links` for the links themselves) ----

/// The purpose of a subscriber's "manage" link token.
pub const MANAGE: &str = "manage";
/// The purpose of a subscriber's "unsubscribe" link token.
pub const UNSUBSCRIBE: &str = "unsubscribe";

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

pub fn confirm_token(secret: &[u8], link_key: &str) -> String {
    hex::encode(hmac_sha256(
        secret,
        format!("confirm:{link_key}").as_bytes(),
    ))
}

pub fn link_token(secret: &[u8], purpose: &str, id: i64, link_key: &str) -> String {
    let mac = hmac_sha256(secret, format!("{purpose}:{id}:{link_key}").as_bytes());
    format!("{id}-{}", hex::encode(mac))
}

/// The subscriber id a manage / unsubscribe token names (not yet verified).
pub fn token_id(token: &str) -> Option<i64> {
    token.split_once('-')?.0.parse().ok()
}

pub fn verify_link_token(
    secret: &[u8],
    purpose: &str,
    id: i64,
    link_key: &str,
    token: &str,
) -> bool {
    secrets_match(&link_token(secret, purpose, id, link_key), token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_prefixed() {
        let a = random_secret("sitrep_");
        let b = random_secret("sitrep_");
        assert_ne!(a, b);
        assert!(a.starts_with("sitrep_"));
        assert_eq!(a.len(), 7 + 64);
    }

    #[test]
    fn the_stored_hash_is_not_the_secret() {
        let s = random_secret("");
        assert_ne!(secret_hash(&s), s);
        assert_eq!(secret_hash(&s), secret_hash(&s));
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", dummy_password_hash()));
    }

    #[test]
    fn secret_comparison_needs_equal_strings() {
        assert!(secrets_match("abc", "abc"));
        assert!(!secrets_match("abc", "abd"));
        assert!(!secrets_match("abc", "abcd"));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn link_tokens_verify_only_with_the_same_key_and_purpose() {
        let t = link_token(b"s", UNSUBSCRIBE, 7, "k");
        assert_eq!(token_id(&t), Some(7));
        assert!(verify_link_token(b"s", UNSUBSCRIBE, 7, "k", &t));
        assert!(!verify_link_token(b"s", MANAGE, 7, "k", &t));
        assert!(!verify_link_token(b"s", UNSUBSCRIBE, 7, "k2", &t));
        assert!(!verify_link_token(b"t", UNSUBSCRIBE, 7, "k", &t));
    }
}
