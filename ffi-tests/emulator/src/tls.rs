//! A throw-away CA and a server certificate for 127.0.0.1/localhost, so the
//! library under test can be pointed at a CA file instead of the web PKI;
//! plus deliberately bad certificates for the TLS-failure listeners.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

pub struct Tls {
    pub ca_pem: String,
    pub server_config: Arc<ServerConfig>,
    /// Leaf from a second CA that is never published.
    pub untrusted: Arc<ServerConfig>,
    /// Published CA, but the certificate names only `wrong.example`.
    pub wrong_host: Arc<ServerConfig>,
    /// Published CA and right names, valid only in 2000.
    pub expired: Arc<ServerConfig>,
}

fn err(e: rcgen::Error) -> String {
    e.to_string()
}

fn ca(name: &str) -> Result<(String, Issuer<'static, KeyPair>), String> {
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    Ok((ca_cert.pem(), Issuer::new(ca, ca_key)))
}

/// A server config with a leaf for `names`, signed by `issuer`; `edit` adjusts the params.
fn leaf_config(
    names: &[&str],
    issuer: &Issuer<'static, KeyPair>,
    edit: impl FnOnce(&mut CertificateParams),
) -> Result<Arc<ServerConfig>, String> {
    let mut leaf = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .map_err(err)?;
    leaf.distinguished_name.push(DnType::CommonName, names[0]);
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    edit(&mut leaf);
    let leaf_key = KeyPair::generate().map_err(err)?;
    let leaf_cert = leaf.signed_by(&leaf_key, issuer).map_err(err)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf_cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

pub fn generate() -> Result<Tls, String> {
    let (ca_pem, issuer) = ca("gcal-emulator throw-away CA")?;
    let (_, rogue) = ca("gcal-emulator unpublished CA")?;
    let here = ["127.0.0.1", "localhost"];
    Ok(Tls {
        ca_pem,
        server_config: leaf_config(&here, &issuer, |_| {})?,
        untrusted: leaf_config(&here, &rogue, |_| {})?,
        wrong_host: leaf_config(&["wrong.example"], &issuer, |_| {})?,
        expired: leaf_config(&here, &issuer, |p| {
            p.not_before = rcgen::date_time_ymd(2000, 1, 1);
            p.not_after = rcgen::date_time_ymd(2001, 1, 1);
        })?,
    })
}
