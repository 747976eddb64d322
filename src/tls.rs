//! The rustls crypto provider handed to ureq: ring, with only what a TLS
//! client that presents no client certificate uses.
//!
//! `rustls::crypto::ring::default_provider()` also carries a key provider
//! that parses and signs with RSA, ECDSA and Ed25519 private keys (client
//! certificates). The library never presents one; built from parts without
//! it, ring's signing code stays out of the firmware (~23 KB on armv7,
//! issue 7). Everything else is ring's default: the same cipher suites, key
//! exchange groups and signature verification algorithms (checked against
//! `default_provider()` by the tests below).

use rustls::crypto::ring::{DEFAULT_CIPHER_SUITES, DEFAULT_KX_GROUPS};
use rustls::crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use rustls::SignatureScheme;
use std::sync::Arc;
use webpki::ring as alg;

/// ring's default provider without private-key loading.
pub fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: DEFAULT_CIPHER_SUITES.to_vec(),
        kx_groups: DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIG_ALGS,
        secure_random: &Random,
        key_provider: &NoPrivateKeys,
    }
}

/// The same list as rustls's ring provider (private there).
static SIG_ALGS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        alg::ECDSA_P256_SHA256,
        alg::ECDSA_P256_SHA384,
        alg::ECDSA_P384_SHA256,
        alg::ECDSA_P384_SHA384,
        alg::ED25519,
        alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        alg::RSA_PKCS1_2048_8192_SHA256,
        alg::RSA_PKCS1_2048_8192_SHA384,
        alg::RSA_PKCS1_2048_8192_SHA512,
        alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    mapping: &[
        (SignatureScheme::ECDSA_NISTP384_SHA384, &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384]),
        (SignatureScheme::ECDSA_NISTP256_SHA256, &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256]),
        (SignatureScheme::ED25519, &[alg::ED25519]),
        (SignatureScheme::RSA_PSS_SHA512, &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY]),
        (SignatureScheme::RSA_PSS_SHA384, &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY]),
        (SignatureScheme::RSA_PSS_SHA256, &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY]),
        (SignatureScheme::RSA_PKCS1_SHA512, &[alg::RSA_PKCS1_2048_8192_SHA512]),
        (SignatureScheme::RSA_PKCS1_SHA384, &[alg::RSA_PKCS1_2048_8192_SHA384]),
        (SignatureScheme::RSA_PKCS1_SHA256, &[alg::RSA_PKCS1_2048_8192_SHA256]),
    ],
};

#[derive(Debug)]
struct Random;

impl SecureRandom for Random {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf).map_err(|_| GetRandomFailed)
    }
}

#[derive(Debug)]
struct NoPrivateKeys;

impl KeyProvider for NoPrivateKeys {
    fn load_private_key(&self, _key: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General("client certificates are not supported".into()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_as_rings_default_provider_but_loads_no_keys() {
        let ours = super::provider();
        let ring = rustls::crypto::ring::default_provider();
        let names = |p: &rustls::crypto::CryptoProvider| {
            (
                p.cipher_suites.iter().map(|s| s.suite()).collect::<Vec<_>>(),
                p.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(names(&ours), names(&ring));
        assert_eq!(
            format!("{:?}", ours.signature_verification_algorithms),
            format!("{:?}", ring.signature_verification_algorithms)
        );
        let mut b = [0u8; 16];
        ours.secure_random.fill(&mut b).unwrap();
        assert_ne!(b, [0u8; 16]);
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(vec![0u8; 4].into());
        assert!(ours.key_provider.load_private_key(key).is_err());
        assert!(!ours.fips());
    }
}
