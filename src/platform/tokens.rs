//! OAuth access tokens: HS256 JWTs signed with a secret kept in the database, so that tokens
//! survive a restart and every process on one database accepts them.

use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "Capillary";

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// What a token says about its holder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    iss: String,
    sub: String,
    pub client_id: String,
    pub org_id: i64,
    /// The tenant whose client the token is for; it is good in no other tenant.
    #[serde(default = "default_tenant")]
    pub tenant: String,
    iat: i64,
    pub exp: i64,
    jti: String,
    token_use: String,
}

fn default_tenant() -> String {
    crate::platform::tenants::DEFAULT_TENANT.to_owned()
}

impl Claims {
    pub fn expires_at(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.exp, 0).single().unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// Why a token is refused.
#[derive(Debug)]
pub enum TokenError {
    /// Signed by us, but past its expiry; the claims say whose it was and when it expired.
    Expired(Box<Claims>),
    /// Forged, garbled or not ours.
    Invalid,
}

impl TokenKeys {
    pub fn new(secret: &str) -> Result<TokenKeys, jsonwebtoken::errors::Error> {
        Ok(TokenKeys { encoding: EncodingKey::from_secret(secret.as_bytes())?, decoding: DecodingKey::from_secret(secret.as_bytes())? })
    }

    /// A token for a client of `org_id` in `tenant`, valid for `ttl_seconds` of real time.
    pub fn issue(&self, tenant: &str, client_id: &str, org_id: i64, ttl_seconds: i32) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: client_id.to_owned(),
            client_id: client_id.to_owned(),
            org_id,
            tenant: tenant.to_owned(),
            iat: now,
            exp: now + i64::from(ttl_seconds),
            jti: uuid::Uuid::new_v4().to_string(),
            token_use: "token_access".to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The claims of a token we signed that has not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation) {
            Ok(data) => Ok(data.claims),
            Err(error) if matches!(error.kind(), ErrorKind::ExpiredSignature) => {
                validation.validate_exp = false;
                jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
                    .map(|data| TokenError::Expired(Box::new(data.claims)))
                    .map_or(Err(TokenError::Invalid), Err)
            }
            Err(_) => Err(TokenError::Invalid),
        }
    }
}
