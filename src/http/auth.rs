//! Bearer tokens: HS256 with a shared secret, or RS256 / EdDSA with a public
//! key, checked strictly: `exp` and `sub` are required, `nbf` and `iat` must
//! not lie in the future, the token may live at most `RC_JWT_MAX_LIFETIME`,
//! and a `crit` header (an extension this service cannot know) is refused.
//! A refusal says which rule failed, never the parser's own words. The
//! `token` command mints HS256 tokens.

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
    /// Longest a token may live, from `iat` (or from now, without one) to `exp`.
    max_lifetime: i64,
}

/// Clock skew tolerated between the token's issuer and this service, in seconds.
const LEEWAY: u64 = 30;

/// Whether the token's JOSE header has a `crit` member (RFC 7515 4.1.11: a
/// recipient that does not understand the extensions it lists must refuse it).
fn has_crit_header(token: &str) -> bool {
    use base64::Engine;
    let Some(head) = token.split('.').next() else { return false };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|h| h.get("crit").is_some())
}

impl Verifier {
    /// Checks tokens signed with `key` that live at most `max_lifetime`
    /// (RC_JWT_MAX_LIFETIME) from their `iat`, or from now, to their `exp`.
    pub fn new(key: &JwtKey, max_lifetime: std::time::Duration) -> anyhow::Result<Self> {
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
        validation.leeway = LEEWAY;
        validation.validate_nbf = true;
        let max_lifetime = i64::try_from(max_lifetime.as_secs()).unwrap_or(i64::MAX);
        Ok(Verifier { key, validation, max_lifetime })
    }

    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let refuse = |why: &str| ApiError::Unauthorized(why.to_string());
        if has_crit_header(token) {
            return Err(refuse("the token's header lists critical extensions (`crit`) this service does not support"));
        }
        let data = decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            refuse(match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::ImmatureSignature => "the token is not valid yet (`nbf`)",
                K::InvalidSignature => "the token's signature is not valid",
                K::MissingRequiredClaim(c) if c == "sub" => "the token has no `sub` claim",
                K::MissingRequiredClaim(_) => "the token has no `exp` claim",
                K::InvalidAlgorithm => "the token is signed with an algorithm this service does not accept",
                _ => "the token is not a well-formed JWT of this service",
            })
        })?;
        let now = chrono::Utc::now().timestamp();
        let leeway = LEEWAY as i64;
        if data.claims.iat.is_some_and(|iat| iat > now + leeway) {
            return Err(refuse("the token was issued in the future (`iat`)"));
        }
        let from = data.claims.iat.unwrap_or(now);
        if data.claims.exp.saturating_sub(from) > self.max_lifetime.saturating_add(leeway) {
            return Err(refuse("the token lives longer than this service allows (RC_JWT_MAX_LIFETIME)"));
        }
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
        // The scheme is case-insensitive (RFC 9110 11.1).
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.trim_start().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?;
        self.verify(token)
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
        let rsa = Verifier::new(&JwtKey::PublicKeyPem(rsa_public), DAY).unwrap();
        let ed = Verifier::new(&JwtKey::PublicKeyPem(ed_public), DAY).unwrap();
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
        assert!(Verifier::new(&JwtKey::PublicKeyPem(public), DAY).unwrap().verify(&confused).is_err());
    }

    /// A token with these claims and header, signed with `SECRET`.
    fn signed(header: serde_json::Value, claims: serde_json::Value) -> String {
        use base64::Engine;
        let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let sig =
            jsonwebtoken::crypto::sign(input.as_bytes(), &EncodingKey::from_secret(SECRET), Algorithm::HS256).unwrap();
        format!("{input}.{sig}")
    }

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    /// RC_JWT_MAX_LIFETIME's default.
    const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

    #[test]
    fn tokens_are_checked_strictly() {
        let v = Verifier::new(&JwtKey::Secret(SECRET.to_vec()), DAY).unwrap();
        let now = chrono::Utc::now().timestamp();
        let hs = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        let claims = |extra: serde_json::Value| {
            let mut c = serde_json::json!({"sub": "u1", "exp": now + 600, "iat": now});
            c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            c
        };
        let refusal = |t: String| match v.verify(&t) {
            Err(ApiError::Unauthorized(m)) => m,
            other => panic!("accepted: {other:?}"),
        };
        assert_eq!(v.verify(&signed(hs.clone(), claims(serde_json::json!({})))).unwrap().id, "u1");
        assert!(refusal(signed(hs.clone(), claims(serde_json::json!({"nbf": now + 600})))).contains("nbf"));
        assert!(refusal(signed(hs.clone(), claims(serde_json::json!({"iat": now + 600})))).contains("iat"));
        let forever = claims(serde_json::json!({"exp": 253_402_300_799_i64}));
        assert!(refusal(signed(hs.clone(), forever)).contains("RC_JWT_MAX_LIFETIME"));
        let no_iat = serde_json::json!({"sub": "u1", "exp": now + 3 * 86_400});
        assert!(refusal(signed(hs.clone(), no_iat)).contains("RC_JWT_MAX_LIFETIME"));
        let crit = serde_json::json!({"alg": "HS256", "crit": ["exp-ext"], "exp-ext": 1});
        assert!(refusal(signed(crit, claims(serde_json::json!({})))).contains("crit"));
        // The parser's own words never reach the caller.
        let garbage = refusal("not.a.jwt".into());
        assert_eq!(garbage, "the token is not a well-formed JWT of this service");
        let longer = Verifier::new(&JwtKey::Secret(SECRET.to_vec()), DAY * 7).unwrap();
        assert!(longer.verify(&signed(hs, claims(serde_json::json!({"exp": now + 3 * 86_400})))).is_ok());
    }

    #[test]
    fn minted_tokens_carry_sub_and_roles() {
        let secret = JwtKey::Secret(b"0123456789abcdef0123456789abcdef".to_vec());
        let t = mint(b"0123456789abcdef0123456789abcdef", "ops-1", &["service".into()], chrono::Duration::minutes(5))
            .unwrap();
        assert_eq!(
            Verifier::new(&secret, DAY).unwrap().verify(&t).unwrap(),
            Caller { id: "ops-1".into(), staff: false, service: true }
        );
        // A `sub` no id can be (PostgreSQL text holds no NUL) is no caller.
        let nul = mint(b"0123456789abcdef0123456789abcdef", "ops\u{0}1", &[], chrono::Duration::minutes(5)).unwrap();
        assert!(
            matches!(Verifier::new(&secret, DAY).unwrap().verify(&nul), Err(ApiError::Unauthorized(m)) if m.contains("NUL"))
        );
    }
}
