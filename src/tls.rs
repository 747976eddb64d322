//! The rustls crypto provider handed to ureq: ring, with only what a TLS
//! client that presents no client certificate uses.
//!
//! `rustls::crypto::ring::default_provider()` also carries a key provider
//! that parses and signs with RSA, ECDSA and Ed25519 private keys (client
//! certificates). The library never presents one; built from parts without
//! it, ring's signing code stays out of the firmware (33 KB on armv7,
//! issue 7).
//!
//! Cipher suites: ring's AES-GCM ones, in ring's order; the
//! ChaCha20-Poly1305 ones are left out (11 KB on armv7, issue 7). Every TLS
//! 1.3 server must offer TLS_AES_128_GCM_SHA256, Google and TLS-inspecting
//! proxies offer AES-GCM under TLS 1.2 too; ChaCha20 is only faster on CPUs
//! without AES instructions, which for a few KB per push is noise next to
//! the handshake. Key exchange groups are ring's defaults.
//!
//! Signature verification: ring's algorithms but Ed25519 (8.4 KB on armv7:
//! Edwards-curve code and tables that nothing else needs; issue 7). The
//! public web PKI has no Ed25519 certificates (the CA/Browser Forum allows
//! RSA and ECDSA only), Google signs with ECDSA and RSA; only a private CA
//! (a TLS-inspecting proxy, `ca_file`) using Ed25519 keys would be refused,
//! as an untrusted certificate. The tests below check everything against
//! `default_provider()`.

use rustls::crypto::ring::DEFAULT_KX_GROUPS;
use rustls::crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use rustls::SignatureScheme;
use std::sync::Arc;
use webpki::ring as alg;

/// ring's default provider without private-key loading.
pub fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: {
            use rustls::crypto::ring::cipher_suite::*;
            vec![
                TLS13_AES_256_GCM_SHA384,
                TLS13_AES_128_GCM_SHA256,
                TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            ]
        },
        kx_groups: DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIG_ALGS,
        secure_random: &Random,
        key_provider: &NoPrivateKeys,
    }
}

/// rustls's ring list (private there) without Ed25519.
static SIG_ALGS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        alg::ECDSA_P256_SHA256,
        alg::ECDSA_P256_SHA384,
        alg::ECDSA_P384_SHA256,
        alg::ECDSA_P384_SHA384,
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
        let (ours_suites, ours_groups) = names(&ours);
        let (ring_suites, ring_groups) = names(&ring);
        assert_eq!(ours_groups, ring_groups);
        let aes: Vec<_> = ring_suites.into_iter().filter(|s| !format!("{s:?}").contains("CHACHA20")).collect();
        assert_eq!(ours_suites, aes);
        assert_eq!(aes.len(), 6);
        let (ours_algs, ring_algs) = (ours.signature_verification_algorithms, ring.signature_verification_algorithms);
        let debug = |v: &[&dyn rustls::pki_types::SignatureVerificationAlgorithm]| {
            v.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>()
        };
        let ring_but_ed25519: Vec<String> =
            debug(ring_algs.all).into_iter().filter(|a| !a.to_ascii_uppercase().contains("ED25519")).collect();
        assert_eq!(ring_but_ed25519.len(), ring_algs.all.len() - 1);
        assert_eq!(debug(ours_algs.all), ring_but_ed25519);
        let ring_schemes: Vec<_> =
            ring_algs.mapping.iter().map(|m| m.0).filter(|s| *s != rustls::SignatureScheme::ED25519).collect();
        assert_eq!(ours_algs.mapping.iter().map(|m| m.0).collect::<Vec<_>>(), ring_schemes);
        for (ours, ring) in ours_algs.mapping.iter().zip(ring_algs.mapping.iter().filter(|m| m.0 != rustls::SignatureScheme::ED25519)) {
            assert_eq!(debug(ours.1), debug(ring.1));
        }
        let mut b = [0u8; 16];
        ours.secure_random.fill(&mut b).unwrap();
        assert_ne!(b, [0u8; 16]);
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(vec![0u8; 4].into());
        assert!(ours.key_provider.load_private_key(key).is_err());
        assert!(!ours.fips());
    }
}
