//! The test PKI: a CA and a `localhost` leaf signed by it, generated at run time with
//! rcgen (no private key is ever committed). Also used by `benches/tls.rs`, which
//! includes this file by path.

/// Test PKI in `dir`: `ca.pem` (trust anchor), `cert.pem` and `key.pem` (the server's
/// `localhost` / 127.0.0.1 leaf, signed by the CA).
pub struct Pki {
    pub ca: std::path::PathBuf,
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

pub fn pki(dir: &std::path::Path) -> Pki {
    pki_for(dir, &["localhost", "127.0.0.1"])
}

/// [`pki`] with a leaf for exactly `names` (DNS names or IP addresses), for tests that
/// need a name the certificate does not carry.
pub fn pki_for(dir: &std::path::Path, names: &[&str]) -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "wirestate test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let mut leaf =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    let p = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&p.ca, ca.pem()).unwrap();
    std::fs::write(&p.cert, cert.pem()).unwrap();
    std::fs::write(&p.key, key.serialize_pem()).unwrap();
    p
}
