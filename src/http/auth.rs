//! Bearer tokens: HS256 with a shared secret, or RS256 / EdDSA with a public
//! key. `exp` is required. The `token` command mints HS256 tokens.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::problem::ApiError;
use crate::app::Caller;
use crate::config::JwtKey;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
}

/// Checks tokens; built once at start.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Verifier {
    pub fn new(key: &JwtKey) -> anyhow::Result<Self> {
        let (key, alg) = match key {
            JwtKey::Secret(s) => (DecodingKey::from_secret(s), Algorithm::HS256),
            JwtKey::PublicKeyPem(pem) => match DecodingKey::from_rsa_pem(pem) {
                Ok(k) => (k, Algorithm::RS256),
                Err(_) => (
                    DecodingKey::from_ed_pem(pem).map_err(|e| {
                        anyhow::anyhow!("RC_JWT_PUBLIC_KEY is neither an RSA nor an Ed25519 public key: {e}")
                    })?,
                    Algorithm::EdDSA,
                ),
            },
        };
        let mut validation = Validation::new(alg);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        Ok(Verifier { key, validation })
    }

    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let data = decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            ApiError::Unauthorized(match e.kind() {
                K::ExpiredSignature => "the token has expired".into(),
                K::InvalidSignature => "the token's signature is not valid".into(),
                K::MissingRequiredClaim(c) => format!("the token has no `{c}` claim"),
                _ => format!("the token is not valid: {e}"),
            })
        })?;
        let has = |r: &str| data.claims.roles.iter().any(|x| x == r);
        if data.claims.sub.is_empty() {
            return Err(ApiError::Unauthorized("the token's `sub` is empty".into()));
        }
        if data.claims.sub.contains('\0') {
            return Err(ApiError::Unauthorized("the token's `sub` holds a NUL character".into()));
        }
        Ok(Caller { staff: has("staff"), service: has("service"), id: data.claims.sub })
    }

    /// The caller of a request, from its `Authorization: Bearer` header.
    pub fn caller_of(&self, req: &HttpRequest) -> Result<Caller, ApiError> {
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("send `Authorization: Bearer <token>`".into()))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?;
        self.verify(token.trim())
    }
}

/// Mints an HS256 token for local use and tests.
pub fn mint(secret: &[u8], sub: &str, roles: &[String], ttl: chrono::Duration) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims { sub: sub.to_string(), roles: roles.to_vec(), exp: now + ttl.num_seconds(), iat: Some(now) };
    Ok(encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))?)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<Verifier>>() {
            Some(v) => v.caller_of(req),
            None => Err(ApiError::App(crate::app::AppError::Internal(anyhow::anyhow!("no token verifier configured")))),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    /// A private and public PEM key pair made by `openssl genpkey`.
    fn key_pair(algorithm: &str) -> (Vec<u8>, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("key.pem");
        let made =
            Command::new("openssl").args(["genpkey", "-algorithm", algorithm, "-out"]).arg(&private).output().unwrap();
        assert!(made.status.success(), "openssl genpkey {algorithm}");
        let public = Command::new("openssl").args(["pkey", "-pubout", "-in"]).arg(&private).output().unwrap();
        assert!(public.status.success());
        (std::fs::read(&private).unwrap(), public.stdout)
    }

    fn token(alg: Algorithm, key: &EncodingKey, exp_in: i64) -> String {
        let claims = Claims {
            sub: "seller-9".into(),
            roles: vec!["staff".into()],
            exp: chrono::Utc::now().timestamp() + exp_in,
            iat: None,
        };
        encode(&Header::new(alg), &claims, key).unwrap()
    }

    #[test]
    fn public_keys_verify_rs256_and_eddsa_tokens() {
        let (rsa_private, rsa_public) = key_pair("RSA");
        let (ed_private, ed_public) = key_pair("ED25519");
        let rsa = Verifier::new(&JwtKey::PublicKeyPem(rsa_public)).unwrap();
        let ed = Verifier::new(&JwtKey::PublicKeyPem(ed_public)).unwrap();
        let rsa_key = EncodingKey::from_rsa_pem(&rsa_private).unwrap();
        let ed_key = EncodingKey::from_ed_pem(&ed_private).unwrap();

        let caller = rsa.verify(&token(Algorithm::RS256, &rsa_key, 600)).unwrap();
        assert_eq!(caller, Caller { id: "seller-9".into(), staff: true, service: false });
        assert_eq!(ed.verify(&token(Algorithm::EdDSA, &ed_key, 600)).unwrap().id, "seller-9");

        // A token signed by the other key, an expired one, or an HS256 token
        // made with the public key as its secret (algorithm confusion) fail.
        assert!(rsa.verify(&token(Algorithm::EdDSA, &ed_key, 600)).is_err());
        assert!(ed.verify(&token(Algorithm::EdDSA, &ed_key, -600)).is_err());
        let (_, public) = key_pair("ED25519");
        let confused = token(Algorithm::HS256, &EncodingKey::from_secret(&public), 600);
        assert!(Verifier::new(&JwtKey::PublicKeyPem(public)).unwrap().verify(&confused).is_err());
    }

    #[test]
    fn minted_tokens_carry_sub_and_roles() {
        let secret = JwtKey::Secret(b"0123456789abcdef0123456789abcdef".to_vec());
        let t = mint(b"0123456789abcdef0123456789abcdef", "ops-1", &["service".into()], chrono::Duration::minutes(5))
            .unwrap();
        assert_eq!(
            Verifier::new(&secret).unwrap().verify(&t).unwrap(),
            Caller { id: "ops-1".into(), staff: false, service: true }
        );
        // A `sub` no id can be (PostgreSQL text holds no NUL) is no caller.
        let nul = mint(b"0123456789abcdef0123456789abcdef", "ops\u{0}1", &[], chrono::Duration::minutes(5)).unwrap();
        assert!(
            matches!(Verifier::new(&secret).unwrap().verify(&nul), Err(ApiError::Unauthorized(m)) if m.contains("NUL"))
        );
    }
}
