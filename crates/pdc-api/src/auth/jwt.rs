//! OIDC bearer tokens: signature (RS256/ES256 keys from a PEM or JWKS file),
//! issuer, audience and expiry; user name and groups from configurable claims.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

pub struct JwtConfig {
    keys: Vec<(Option<String>, Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
    username_claim: String,
    groups_claim: Option<String>,
}

/// What a valid token says about its holder.
#[derive(Debug)]
pub struct Claims {
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub groups: Option<Vec<String>>,
}

pub struct JwtSettings<'a> {
    /// Public key file: a PEM (RSA or EC public key) or a JWKS JSON document.
    pub key_file: &'a std::path::Path,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub username_claim: String,
    pub groups_claim: Option<String>,
}

impl JwtConfig {
    pub fn load(s: JwtSettings<'_>) -> Result<Self, String> {
        let raw = std::fs::read(s.key_file)
            .map_err(|e| format!("cannot read JWT key file {}: {e}", s.key_file.display()))?;
        let keys = parse_keys(&raw).map_err(|e| format!("{}: {e}", s.key_file.display()))?;
        Ok(JwtConfig {
            keys,
            issuer: s.issuer,
            audience: s.audience,
            username_claim: s.username_claim,
            groups_claim: s.groups_claim,
        })
    }

    /// Checks a token and extracts the claims PDC needs.
    pub fn validate(&self, token: &str) -> Result<Claims, String> {
        let header = decode_header(token).map_err(|e| e.to_string())?;
        let (_, alg, key) = self
            .keys
            .iter()
            .find(|(kid, alg, _)| {
                *alg == header.alg && (kid.is_none() || header.kid.is_none() || *kid == header.kid)
            })
            .ok_or_else(|| format!("no key for algorithm {:?}", header.alg))?;
        let mut v = Validation::new(*alg);
        match &self.issuer {
            Some(iss) => v.set_issuer(&[iss]),
            None => v.iss = None,
        }
        match &self.audience {
            Some(aud) => v.set_audience(&[aud]),
            None => v.validate_aud = false,
        }
        v.set_required_spec_claims(&["exp"]);
        let data = decode::<Value>(token, key, &v).map_err(|e| e.to_string())?;
        let claims = data.claims;
        let username = claims
            .get(&self.username_claim)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("claim {} missing", self.username_claim))?
            .to_string();
        let groups = self.groups_claim.as_ref().map(|c| match claims.get(c) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|g| g.as_str().map(|s| s.trim_start_matches('/').to_string()))
                .collect(),
            _ => vec![],
        });
        Ok(Claims {
            username,
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_string),
            full_name: claims
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string),
            groups,
        })
    }
}

fn parse_keys(raw: &[u8]) -> Result<Vec<(Option<String>, Algorithm, DecodingKey)>, String> {
    let text = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
    if text.trim_start().starts_with('{') {
        let set: JwkSet = serde_json::from_str(text).map_err(|e| format!("bad JWKS: {e}"))?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let alg = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                _ => continue,
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
            keys.push((jwk.common.key_id.clone(), alg, key));
        }
        if keys.is_empty() {
            return Err("no RSA or EC keys in JWKS".into());
        }
        return Ok(keys);
    }
    if let Ok(k) = DecodingKey::from_rsa_pem(raw) {
        return Ok(vec![(None, Algorithm::RS256, k)]);
    }
    if let Ok(k) = DecodingKey::from_ec_pem(raw) {
        return Ok(vec![(None, Algorithm::ES256, k)]);
    }
    Err("not an RSA/EC public key PEM nor a JWKS document".into())
}
