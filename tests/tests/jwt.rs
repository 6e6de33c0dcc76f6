//! OIDC bearer tokens: signature (RS256 PEM, ES256 JWKS), issuer, audience,
//! expiry, and the user and groups taken from the claims.

use std::path::Path;
use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use pdc_tests::{Server, assert_resp, json};

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(
    alg: Algorithm,
    key: &EncodingKey,
    kid: Option<&str>,
    claims: serde_json::Value,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    encode(&header, &claims, key).expect("sign")
}

async fn bearer(s: &Server, path: &str, token: &str) -> pdc_tests::Resp {
    s.send(
        "GET",
        path,
        None,
        None,
        &[("Authorization", &format!("Bearer {token}"))],
    )
    .await
}

#[tokio::test]
async fn rs256_pem_with_issuer_audience_and_groups() {
    let dir = std::env::temp_dir().join(format!("pdc-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let private = dir.join("rsa.pem");
    let public = dir.join("rsa.pub.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        private.to_str().unwrap(),
    ]);
    openssl(&[
        "pkey",
        "-in",
        private.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    let s = Server::start_with(&[
        ("PDC_JWT_KEY_FILE", public.to_str().unwrap()),
        ("PDC_JWT_ISSUER", "https://id.example.com"),
        ("PDC_JWT_AUDIENCE", "pdc"),
        ("PDC_JWT_GROUPS_CLAIM", "groups"),
    ])
    .await;
    let key = EncodingKey::from_rsa_pem(&std::fs::read(&private).unwrap()).unwrap();
    let good = json!({"iss": "https://id.example.com", "aud": "pdc", "exp": now() + 600,
                      "preferred_username": "carol", "email": "carol@example.com", "groups": ["releng"]});
    let t = token(Algorithm::RS256, &key, None, good.clone());
    let me = bearer(&s, "auth/current-user/", &t).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let me = me.json();
    assert_eq!(me["username"], "carol");
    assert_eq!(me["e-mail"], "carol@example.com");
    assert_eq!(me["groups"], json!(["releng"]));
    // A JWT user may obtain a PDC token.
    let r = bearer(&s, "auth/token/obtain/", &t).await;
    assert_eq!(r.status, 200);
    let pdc_token = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.send("GET", "auth/current-user/", None, Some(&pdc_token), &[])
            .await
            .json()["username"],
        "carol"
    );
    // Wrong audience, wrong issuer, expired, tampered: 401.
    for claims in [
        json!({"iss": "https://id.example.com", "aud": "other", "exp": now() + 600, "preferred_username": "carol"}),
        json!({"iss": "https://evil.example.com", "aud": "pdc", "exp": now() + 600, "preferred_username": "carol"}),
        json!({"iss": "https://id.example.com", "aud": "pdc", "exp": now() - 3600, "preferred_username": "carol"}),
    ] {
        let t = token(Algorithm::RS256, &key, None, claims);
        assert_resp!(
            bearer(&s, "arches/", &t).await,
            401,
            json!({"detail": "Invalid token."})
        );
    }
    let mut tampered = t.clone();
    tampered.pop();
    tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
    assert_resp!(
        bearer(&s, "arches/", &tampered).await,
        401,
        json!({"detail": "Invalid token."})
    );
    // Groups follow the token: a grant to the group lets the user write.
    let grant = json!({"group": "releng", "resource": "labels", "permission": "create"});
    assert_eq!(
        s.post("auth/group-resource-permissions/", grant)
            .await
            .status,
        201
    );
    let r = s
        .send(
            "POST",
            "labels/",
            Some(&json!({"name": "l", "description": "d"})),
            None,
            &[("Authorization", &format!("Bearer {t}"))],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn es256_jwks_with_key_ids() {
    let dir = std::env::temp_dir().join(format!("pdc-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let private = dir.join("ec.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        private.to_str().unwrap(),
    ]);
    let pem = std::fs::read(&private).unwrap();
    // The JWKS document: x and y of the public point, base64url.
    let out = Command::new("openssl")
        .args([
            "ec",
            "-in",
            private.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
        ])
        .output()
        .unwrap();
    let der = out.stdout;
    let point = &der[der.len() - 65..];
    assert_eq!(point[0], 4, "uncompressed EC point");
    let b64 = |b: &[u8]| base64url(b);
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
                                "x": b64(&point[1..33]), "y": b64(&point[33..65])}]});
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();
    let s = Server::start_with(&[
        ("PDC_JWT_KEY_FILE", jwks_path.to_str().unwrap()),
        ("PDC_JWT_USERNAME_CLAIM", "sub"),
    ])
    .await;
    let key = EncodingKey::from_ec_pem(&pem).unwrap();
    let t = token(
        Algorithm::ES256,
        &key,
        Some("k1"),
        json!({"sub": "dave", "exp": now() + 600}),
    );
    let me = bearer(&s, "auth/current-user/", &t).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["username"], "dave");
    // No username claim: refused.
    let t = token(
        Algorithm::ES256,
        &key,
        Some("k1"),
        json!({"exp": now() + 600}),
    );
    assert_eq!(bearer(&s, "arches/", &t).await.status, 401);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!Path::new(&dir).exists());
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}
