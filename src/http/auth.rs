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
                        anyhow::anyhow!(
                            "RC_JWT_PUBLIC_KEY is neither an RSA nor an Ed25519 public key: {e}"
                        )
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
        Ok(Caller {
            staff: has("staff"),
            service: has("service"),
            id: data.claims.sub,
        })
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
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        self.verify(token.trim())
    }
}

/// Mints an HS256 token for local use and tests.
pub fn mint(
    secret: &[u8],
    sub: &str,
    roles: &[String],
    ttl: chrono::Duration,
) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: sub.to_string(),
        roles: roles.to_vec(),
        exp: now + ttl.num_seconds(),
        iat: Some(now),
    };
    Ok(encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )?)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<Verifier>>() {
            Some(v) => v.caller_of(req),
            None => Err(ApiError::App(crate::app::AppError::Internal(
                anyhow::anyhow!("no token verifier configured"),
            ))),
        })
    }
}
