//! Certificates for the TLS tests, made at test time: a CA, a node certificate for
//! `localhost` and `127.0.0.1` (usable as server and as client, as between nodes), and a
//! client certificate, written as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The PEM files of one CA and the certificates it signed.
#[derive(Clone, Debug)]
pub struct Certs {
    pub ca: PathBuf,
    pub node_cert: PathBuf,
    pub node_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pem).expect("write a PEM file");
    path
}

fn leaf(
    names: &[&str],
    common_name: &str,
    usages: Vec<ExtendedKeyUsagePurpose>,
    issuer: &Issuer<'_, KeyPair>,
) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("certificate names");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = usages;
    let key = KeyPair::generate().expect("generate a key");
    let cert = params.signed_by(&key, issuer).expect("sign a certificate");
    (cert.pem(), key.serialize_pem())
}

/// Makes a CA called `name` and its certificates in `dir` (files prefixed with `name`).
pub fn make(dir: &Path, name: &str) -> Certs {
    std::fs::create_dir_all(dir).expect("create the certificate directory");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} CA"));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().expect("generate the CA key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign the CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let both = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let (node_cert, node_key) = leaf(&["localhost", "127.0.0.1"], "redraft node", both, &issuer);
    let client_only = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let (client_cert, client_key) = leaf(&[], "redraft client", client_only, &issuer);
    Certs {
        ca: write(dir, &format!("{name}-ca.crt"), &ca_cert.pem()),
        node_cert: write(dir, &format!("{name}-node.crt"), &node_cert),
        node_key: write(dir, &format!("{name}-node.key"), &node_key),
        client_cert: write(dir, &format!("{name}-client.crt"), &client_cert),
        client_key: write(dir, &format!("{name}-client.key"), &client_key),
    }
}

/// The files `deploy/tls/make-certs.sh` writes in `dir`.
pub fn made_by_script(dir: &Path) -> Certs {
    Certs {
        ca: dir.join("ca.crt"),
        node_cert: dir.join("node.crt"),
        node_key: dir.join("node.key"),
        client_cert: dir.join("client.crt"),
        client_key: dir.join("client.key"),
    }
}
